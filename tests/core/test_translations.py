"""Guard tests: the ja catalogue is complete, compiled and current."""

from pathlib import Path

import polib
from django.utils import translation

import sasaeai

PO = Path(sasaeai.__file__).parent / "locale/ja/LC_MESSAGES/django.po"


def test_every_message_has_a_japanese_translation():
    catalogue = polib.pofile(str(PO))
    assert catalogue.untranslated_entries() == []
    assert catalogue.fuzzy_entries() == []


def test_compiled_catalogue_matches_the_source():
    catalogue = polib.pofile(str(PO))
    compiled = polib.mofile(str(PO.with_suffix(".mo")))
    source = {(e.msgctxt, e.msgid): e.msgstr or e.msgstr_plural.get(0) for e in catalogue}
    built = {(e.msgctxt, e.msgid): e.msgstr or e.msgstr_plural.get(0) for e in compiled}
    assert source == built, "run `make messages` and commit the .mo"


def test_catalogue_is_loaded_for_japanese():
    with translation.override("ja"):
        assert translation.gettext("Audit log") == "監査ログ"
