"""Where a ``next`` parameter may send a visitor: a path on this site, nothing else."""

from __future__ import annotations

from urllib.parse import urlsplit


def local_path(target: str | None) -> str | None:
    """``target`` if it is a plain path on this site (no scheme, host, backslash or control
    character that a browser might read as another site), else None."""
    if not target or not target.startswith("/") or "\\" in target:
        return None
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or target.startswith("//"):
        return None
    return target
