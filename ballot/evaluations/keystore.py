"""Where an open evaluation's ballot-box key lives, and how it is destroyed at close.

The key (a 32-byte seed from which every slot's secret is derived, ``tally.box``) is never
written to the database, in clear or wrapped: a database remembers old row versions in its
WAL, dead tuples and backups, so a wrapped key stored there would outlive its deletion, and
whoever later learned the wrapping key could open every ballot. It is kept instead in one small
file per evaluation in the key store directory (``BALLOT_BOX_KEY_DIR``, default
``instance/box-keys``), sealed with XChaCha20-Poly1305 (libsodium through PyNaCl) under a key
derived from ``BALLOT_BOX_KEY`` and bound to the evaluation's id, so a copy of the directory
alone opens nothing and a file cannot be swapped between evaluations.

The file is written and fsynced before the evaluation opens (a restart or a crash while it is
open loses nothing) and, once the tally is committed, overwritten with random bytes, fsynced and
unlinked (docs/secrecy.md says what this does and does not guarantee on a journaling file system).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
from collections.abc import Iterable
from pathlib import Path

from flask import current_app
from nacl import bindings
from nacl.exceptions import CryptoError

_NONCE = bindings.crypto_aead_xchacha20poly1305_ietf_NPUBBYTES


class KeyMissing(Exception):
    """The evaluation's key file is not in the key store (or does not open with this key)."""


def _aad(evaluation_id: int) -> bytes:
    return f"ballot-box evaluation {evaluation_id}".encode()


class KeyStore:
    """One directory of sealed key files, ``evaluation-<id>.key``."""

    def __init__(self, directory: str | Path, wrapping_secret: str) -> None:
        self.directory = Path(directory)
        self._key = hashlib.blake2b(wrapping_secret.encode(), digest_size=32,
                                    person=b"ballot-box-wrap").digest()

    def path(self, evaluation_id: int) -> Path:
        return self.directory / f"evaluation-{int(evaluation_id)}.key"

    def put(self, evaluation_id: int, seed: bytes) -> None:
        """Seal and store the seed durably (write, fsync, rename, fsync the directory)."""
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        nonce = secrets.token_bytes(_NONCE)
        sealed = nonce + bindings.crypto_aead_xchacha20poly1305_ietf_encrypt(
            seed, _aad(evaluation_id), nonce, self._key)
        target = self.path(evaluation_id)
        temporary = target.with_suffix(f".tmp-{secrets.token_hex(4)}")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, sealed)
            os.fsync(fd)
        finally:
            os.close(fd)
        if target.exists():
            self._wipe(target)
        os.replace(temporary, target)
        self._sync_directory()

    def get(self, evaluation_id: int) -> bytes:
        """The evaluation's seed; KeyMissing if the file is gone or does not open."""
        try:
            sealed = self.path(evaluation_id).read_bytes()
        except FileNotFoundError:
            raise KeyMissing(evaluation_id) from None
        try:
            return bytes(bindings.crypto_aead_xchacha20poly1305_ietf_decrypt(
                sealed[_NONCE:], _aad(evaluation_id), sealed[:_NONCE], self._key))
        except (CryptoError, ValueError):
            raise KeyMissing(evaluation_id) from None

    def has(self, evaluation_id: int) -> bool:
        return self.path(evaluation_id).exists()

    def destroy(self, evaluation_id: int) -> None:
        """Overwrite the key file with random bytes, fsync it, unlink it, fsync the directory."""
        target = self.path(evaluation_id)
        # Two destroys at once (a close's and another worker's sweep): the loser finds nothing.
        with contextlib.suppress(FileNotFoundError):
            self._wipe(target)
            self._sync_directory()

    def stored(self) -> list[int]:
        """The evaluations whose key files are present."""
        if not self.directory.is_dir():
            return []
        found = []
        for entry in self.directory.glob("evaluation-*.key"):
            number = entry.stem.removeprefix("evaluation-")
            if number.isdigit():
                found.append(int(number))
        return sorted(found)

    def sweep(self, closed: Iterable[int]) -> list[int]:
        """Destroy the keys of evaluations that are closed (a crash between the tally's commit
        and the key's destruction leaves one behind); return their ids."""
        present = set(self.stored())
        swept = sorted(present.intersection(closed))
        for evaluation_id in swept:
            self.destroy(evaluation_id)
        return swept

    @staticmethod
    def _wipe(path: Path) -> None:
        size = path.stat().st_size
        with open(path, "r+b", buffering=0) as handle:
            handle.write(secrets.token_bytes(size))
            os.fsync(handle.fileno())
        path.unlink()

    def _sync_directory(self) -> None:
        with contextlib.suppress(OSError):
            fd = os.open(self.directory, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)


def current_keystore() -> KeyStore:
    """The app's key store (made on first use from BOX_KEY_DIR and BOX_KEY)."""
    store = current_app.extensions.get("box_keystore")
    if store is None:
        store = KeyStore(current_app.config["BOX_KEY_DIR"], str(current_app.config["BOX_KEY"]))
        current_app.extensions["box_keystore"] = store
    return store
