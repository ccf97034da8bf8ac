"""Developer tool: fill English translations into the catalog from a Python file defining EN.

    .venv/bin/python scripts/translate_with.py new-strings.py   (then commit the .po and .mo)
"""

import runpy
import sys

from babel.messages.pofile import write_po

from ballot import i18n

EN = runpy.run_path(sys.argv[1])["EN"]
i18n.update()
catalog = i18n.read_catalog("en")
for message in catalog:
    if message.id and not message.string and message.id in EN:
        message.string = EN[message.id]
with i18n.po_path("en").open("wb") as handle:
    write_po(handle, catalog, no_location=True, sort_output=True, ignore_obsolete=True)
i18n.compile_all()
left = [m.id for m in catalog if m.id and not m.string]
print(f"{len(left)} untranslated: {left}")
