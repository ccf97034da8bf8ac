"""Settings: defaults in code < instance file / environment < test overrides (STYLE.md).

Secrets come only from the environment or, for the embedded SQLite default, from a key file
that is generated once in the instance folder so slips printed yesterday still work today.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

DEFAULTS: dict[str, Any] = {
    # Where slips' QR codes point: a meeting-room LAN address or a domain. Empty: the request host.
    "BASE_URL": "",
    # Largest request body: roster and score files; voting pages allow far less (VOTER_MAX_BYTES).
    "MAX_CONTENT_LENGTH": 4 * 1024 * 1024,
    # A ballot for 60 members is far below 64 KiB; anything bigger on a voter page is refused.
    "VOTER_MAX_BYTES": 64 * 1024,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "PERMANENT_SESSION_LIFETIME": 8 * 3600,
    "WTF_CSRF_TIME_LIMIT": None,  # a participant may read the ballot for a long time
    "BABEL_DEFAULT_LOCALE": "zh",
    "BABEL_DEFAULT_TIMEZONE": "Asia/Shanghai",
    "LANGUAGES": ["zh", "en"],
    # Reverse proxies in front of the app (nginx: 1); 0 trusts no X-Forwarded-* header.
    "TRUSTED_PROXIES": 0,
    # Seconds a voter's phone and the projector page wait between refreshes.
    "TURNOUT_REFRESH_SECONDS": 5,
    # Seconds between two passes of the closer (ballot/evaluations/closer.py) in each gunicorn
    # worker: an evaluation closes and is tallied at most this long after its closing time.
    "CLOSE_DUE_SECONDS": 10,
}

ENVIRONMENT_KEYS = {
    "DATABASE_URL": "DATABASE_URL",
    "SECRET_KEY": "BALLOT_SECRET_KEY",
    "CREDENTIAL_KEY": "BALLOT_CREDENTIAL_KEY",
    "BOX_KEY": "BALLOT_BOX_KEY",
    "BOX_KEY_DIR": "BALLOT_BOX_KEY_DIR",
    "BASE_URL": "BALLOT_BASE_URL",
    "TRUSTED_PROXIES": "BALLOT_TRUSTED_PROXIES",
    "CLOSE_DUE_SECONDS": "BALLOT_CLOSE_DUE_SECONDS",
}


def _instance_secret(instance_path: Path, name: str) -> str:
    """A random secret kept in the instance folder, made on first use (mode 0600)."""
    path = instance_path / name
    if path.exists():
        return path.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    value = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(value)
    return value


def load(instance_path: Path, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Merge defaults, the environment and explicit overrides into one settings dict."""
    settings = dict(DEFAULTS)
    for key, env_name in ENVIRONMENT_KEYS.items():
        if os.environ.get(env_name):
            settings[key] = os.environ[env_name]
    settings.update(overrides or {})
    if not settings.get("DATABASE_URL"):
        settings["DATABASE_URL"] = f"sqlite:///{instance_path / 'ballot.sqlite3'}"
    if not settings.get("SECRET_KEY"):
        settings["SECRET_KEY"] = _instance_secret(instance_path, "secret_key")
    if not settings.get("CREDENTIAL_KEY"):
        settings["CREDENTIAL_KEY"] = _instance_secret(instance_path, "credential_key")
    # Wraps each open evaluation's ballot-box key in the key store (ballot/evaluations/keystore.py).
    if not settings.get("BOX_KEY"):
        settings["BOX_KEY"] = _instance_secret(instance_path, "box_key")
    if not settings.get("BOX_KEY_DIR"):
        settings["BOX_KEY_DIR"] = str(instance_path / "box-keys")
    return settings
