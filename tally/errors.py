"""The one exception the parser raises for bad input."""

from __future__ import annotations


class InputError(ValueError):
    """Bad assessment input: names the field (`path`) and says what is wrong (`message`).

    `str()` is "path: message", so the CLI can print it as the one line the user needs.
    """

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path
        self.message = message
