"""A scorer's mobile score sheet, opened from a personal link (form 4 or form 5)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("sheet", __name__)
