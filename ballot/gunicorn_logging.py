"""A gunicorn logger whose access log never shows a ballot URL, a credential or a voter's IP.

Slip URLs carry the credential in their path (``/s/<credential>``) and the voting pages belong to
one anonymous voter each (as does a tracker looked up on the public box page ``/box/<link>``), so
for those paths the request line keeps only the route and the remote address is dropped (SPEC
"Ballots": nothing logged links a person or device to a ballot).
"""

from __future__ import annotations

import os
import re
from typing import Any

from gunicorn.glogging import Logger

#: The anonymous voter's pages (besides /s/<credential> and /lang/<code>).
VOTER_PATHS = frozenset({"/", "/s", "/ballot", "/ballot/confirm", "/thanks", "/sheet"})


def redact_path(path: str) -> str | None:
    """The path to log for a voter page (credential removed), or None for other pages."""
    path = "/" + path.lstrip("/")  # "//s/<credential>" is the same slip link
    if path.startswith("/s/"):
        return "/s/<slip>"
    if path.startswith("/sheet/"):
        return "/sheet/<link>"
    if path.startswith("/box/"):
        # The public box page: its link is the team's to hand out, and a tracker looked up
        # there (in the query, dropped with the address) must not meet a phone's address.
        return "/box/<link>.json" if path.endswith(".json") else "/box/<link>"
    if path.startswith("/lang/"):
        return "/lang/"
    if path in VOTER_PATHS:
        return path
    return None


#: ``%(name)s`` keys of an access log format.
_FORMAT_KEYS = re.compile(r"%\(([^)]*)\)")


def _plain(log_format: str) -> bool:
    """True when a format names no header or environ atom (``{name}i``, ``{name}o``, ``{name}e``)."""
    return not any(key.startswith("{") for key in _FORMAT_KEYS.findall(log_format))


class RedactingLogger(Logger):  # type: ignore[misc]
    def atoms(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> dict[str, Any]:
        log_format = self.cfg.access_log_format
        if getattr(self, "_plain_format", (None, False))[0] != log_format:
            self._plain_format = (log_format, _plain(log_format))
        atoms: dict[str, Any]
        if self._plain_format[1]:
            atoms = self._plain_atoms(resp, environ, request_time)
        else:
            atoms = super().atoms(resp, req, environ, request_time)
        safe = redact_path(environ.get("PATH_INFO", ""))
        if safe is not None:
            # A voter's page: no address, device, referrer or credential; the header, response
            # header and environ atoms ({...}i, {...}o, {...}e) are all dropped and log as "-".
            # Nor the response size: the review page's length varies with the choices on it.
            method = environ.get("REQUEST_METHOD", "-")
            protocol = environ.get("SERVER_PROTOCOL", "-")
            atoms = {key: value for key, value in atoms.items() if not key.startswith("{")}
            atoms.update(
                {
                    "h": "-",
                    "u": "-",
                    "r": f"{method} {safe} {protocol}",
                    "U": safe,
                    "q": "",
                    "f": "-",
                    "a": "-",
                    "b": "-",
                    "B": "-",
                }
            )
        return atoms

    def _plain_atoms(self, resp: Any, environ: dict[str, Any], request_time: Any) -> dict[str, Any]:
        """gunicorn's atoms without the request headers, response headers and environ copied in
        (three dict comprehensions per request that the deploy format never reads)."""
        status = resp.status
        if isinstance(status, str):
            status = status.split(None, 1)[0]
        seconds, micros = request_time.seconds, request_time.microseconds
        sent = getattr(resp, "sent", None)
        return {
            "h": environ.get("REMOTE_ADDR", "-"),
            "l": "-",
            "u": self._get_user(environ) or "-",
            "t": self.now(),
            "r": f"{environ['REQUEST_METHOD']} {environ['RAW_URI']} {environ['SERVER_PROTOCOL']}",
            "s": status,
            "m": environ.get("REQUEST_METHOD"),
            "U": environ.get("PATH_INFO"),
            "q": environ.get("QUERY_STRING"),
            "H": environ.get("SERVER_PROTOCOL"),
            "b": sent is not None and str(sent) or "-",
            "B": sent,
            "f": environ.get("HTTP_REFERER", "-"),
            "a": environ.get("HTTP_USER_AGENT", "-"),
            "T": seconds,
            "D": seconds * 1_000_000 + micros,
            "M": seconds * 1000 + micros // 1000,
            "L": f"{seconds}.{micros:06d}",
            "p": f"<{os.getpid()}>",
        }
