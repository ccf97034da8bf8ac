"""Admin pages: accounts, their roles, offices and counties."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("users", __name__)
