"""Form 6 summary, the team's decisions, the A15 approval chain, amendments, history."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("results", __name__)
