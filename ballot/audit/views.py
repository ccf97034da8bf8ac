"""Reading and filtering the audit log; recording and resolving complaints and appeals."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("audit", __name__)
