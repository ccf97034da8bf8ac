"""One-time ballot credentials (SPEC "Ballots").

A credential is 140 random bits written in 28 characters from an alphabet with no look-alikes
(no 0/O, no 1/I), grouped in fours for a person to type. Only its HMAC-SHA256 under a server key
is stored, so a copy of the database cannot be turned back into working slips.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

#: 32 symbols: digits 2-9 and the letters without I and O.
ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
LENGTH = 28  # 28 x 5 bits = 140 bits
GROUP = 4
_SEPARATORS = str.maketrans("", "", " -_.\t\n")


def new_credential() -> str:
    """A fresh random credential, ungrouped (what goes in the slip URL)."""
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def grouped(credential: str) -> str:
    """The credential as printed for typing: ``ABCD-EFGH-...``."""
    return "-".join(credential[i : i + GROUP] for i in range(0, len(credential), GROUP))


def normalize(typed: str) -> str | None:
    """Turn what a person typed or a URL carried into a credential, or None if it cannot be one.

    Case, spaces and dashes do not matter; 0 and 1 are read as O and I would be if they existed,
    i.e. refused, because the alphabet never prints them.
    """
    value = typed.translate(_SEPARATORS).upper()
    if len(value) != LENGTH or any(ch not in ALPHABET for ch in value):
        return None
    return value


def credential_hash(key: str, credential: str) -> str:
    """The keyed hash stored in place of the credential."""
    return hmac.new(key.encode(), credential.encode(), hashlib.sha256).hexdigest()
