"""The English catalog covers every Chinese string and the committed .mo matches the .po."""

from __future__ import annotations

import re

from ballot import i18n


def test_every_string_in_code_and_templates_has_an_english_translation():
    sources = {m.id for m in i18n.extract() if m.id}
    catalog = {m.id: m.string for m in i18n.read_catalog("en") if m.id}
    missing = sorted(sources - set(catalog))
    untranslated = sorted(k for k in sources & set(catalog) if not catalog[k])
    assert not missing, f"run 'ballot translate update' and translate: {missing}"
    assert not untranslated, f"untranslated: {untranslated}"


def test_placeholders_survive_translation():
    for message in i18n.read_catalog("en"):
        if message.id:
            assert sorted(re.findall(r"%\(\w+\)s", message.id)) == sorted(
                re.findall(r"%\(\w+\)s", message.string)), message.id


def test_committed_mo_file_is_compiled_from_the_po_file():
    mo = i18n.po_path("en").with_suffix(".mo")
    assert mo.read_bytes() == i18n.compiled("en"), "run 'ballot translate compile'"
