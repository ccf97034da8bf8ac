"""Downloads and printable reports of an assessment, and the city-wide view of a year."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("reports", __name__)
