"""The four non-ballot inputs: P and T per county, L (form 4) and H (form 5) score sheets."""

from flask import Blueprint

#: The package's one blueprint: scorers and their links (views.py), the city's P/T page
#: (pt_views.py), the scorers' own sheets (sheet_views.py).
bp = Blueprint("scores", __name__)
