"""Message catalogs: Chinese is the source language (msgids); English is the translation.

``ballot translate update`` re-extracts every string from the code and templates into the English
catalog; ``ballot translate compile`` writes the .mo file the app loads. Both are committed.
"""

from __future__ import annotations

import io
import tempfile
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.frontend import CommandLineInterface
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = Path(__file__).resolve().parent / "translations"
LANGUAGES = ("en",)


def _pybabel(*arguments: str) -> None:
    """Run a ``pybabel`` command in this process."""
    CommandLineInterface().run(["pybabel", "-q", *arguments])  # type: ignore[no-untyped-call]


def _extract_to(pot: Path) -> None:
    _pybabel("extract", "-F", str(ROOT / "babel.cfg"), "-k", "_l", "--no-location",
             "--sort-output", "-o", str(pot), str(ROOT))


def po_path(language: str) -> Path:
    return TRANSLATIONS / language / "LC_MESSAGES" / "messages.po"


def extract() -> Catalog:
    """Every translatable string in ballot/ and templates/, as a template catalog."""
    with tempfile.TemporaryDirectory() as tmp:
        pot = Path(tmp) / "messages.pot"
        _extract_to(pot)
        with pot.open("rb") as handle:
            return read_po(handle)


def read_catalog(language: str) -> Catalog:
    with po_path(language).open("rb") as handle:
        return read_po(handle, locale=language)


def compiled(language: str) -> bytes:
    """The .mo bytes the .po file compiles to."""
    buffer = io.BytesIO()
    write_mo(buffer, read_catalog(language))
    return buffer.getvalue()


def update() -> None:
    """Bring each catalog in line with the sources (new strings added empty, old ones dropped)."""
    with tempfile.TemporaryDirectory() as tmp:
        pot = Path(tmp) / "messages.pot"
        _extract_to(pot)
        for language in LANGUAGES:
            command = "update" if po_path(language).exists() else "init"
            _pybabel(command, "-i", str(pot), "-d", str(TRANSLATIONS), "-l", language,
                     *(["--no-fuzzy-matching", "--ignore-obsolete"] if command == "update" else []))


def compile_all() -> None:
    for language in LANGUAGES:
        po_path(language).with_suffix(".mo").write_bytes(compiled(language))
