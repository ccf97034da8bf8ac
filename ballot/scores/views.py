"""The four non-ballot inputs: P/T per county, scorers and their sheets (L, H), locking inputs."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("scores", __name__)
