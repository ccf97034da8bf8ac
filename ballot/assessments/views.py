"""Setting up an assessment: create it, import the roster, other cadres, rules, evaluations."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("setup", __name__)
