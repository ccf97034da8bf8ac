"""A gunicorn logger whose access log never shows a ballot URL, a credential or a voter's IP.

Slip URLs carry the credential in their path (``/s/<credential>``) and the voting pages belong to
one anonymous voter each, so for those paths the request line keeps only the route and the remote
address is dropped (SPEC "Ballots": nothing logged links a person or device to a ballot).
"""

from __future__ import annotations

from typing import Any

from gunicorn.glogging import Logger

#: The anonymous voter's pages (besides /s/<credential> and /lang/<code>).
VOTER_PATHS = frozenset({"/", "/s", "/ballot", "/ballot/confirm", "/thanks", "/sheet"})


def redact_path(path: str) -> str | None:
    """The path to log for a voter page (credential removed), or None for other pages."""
    if path.startswith("/s/"):
        return "/s/<slip>"
    if path.startswith("/sheet/"):
        return "/sheet/<link>"
    if path.startswith("/lang/"):
        return "/lang/"
    if path in VOTER_PATHS:
        return path
    return None


class RedactingLogger(Logger):  # type: ignore[misc]
    def atoms(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> dict[str, Any]:
        atoms: dict[str, Any] = super().atoms(resp, req, environ, request_time)
        safe = redact_path(environ.get("PATH_INFO", ""))
        if safe is not None:
            method = environ.get("REQUEST_METHOD", "-")
            protocol = environ.get("SERVER_PROTOCOL", "-")
            atoms.update(
                {
                    "h": "-",
                    "r": f"{method} {safe} {protocol}",
                    "U": safe,
                    "q": "",
                    "f": "-",
                    "{x-forwarded-for}i": "-",
                    "{x-real-ip}i": "-",
                }
            )
        return atoms
