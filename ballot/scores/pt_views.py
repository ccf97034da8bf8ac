"""P and T per county for a year: typed in, or imported for all counties at once (A8.1, A8.2)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("pt", __name__)
