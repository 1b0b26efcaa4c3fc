"""The English catalog is complete, faithful to its placeholders, compiled, and in step with the code.

A string added to the code without its English fails here: run
``manage.py makemessages -l en --no-location``, translate what is new, then
``manage.py compilemessages -l en``, and commit the .po and the .mo.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import polib
import pytest
from django.conf import settings

from tests.miam.french_words import french_words

CATALOG = Path(settings.BASE_DIR) / "locale" / "en" / "LC_MESSAGES" / "django.po"
COMPILED = CATALOG.with_suffix(".mo")
# printf-style (%(name)s, %s, %d, %%) and str.format-style ({name}) placeholders.
PRINTF = re.compile(r"%(?:\([^)]+\))?[#0 +-]*\d*(?:\.\d+)?[sdifr%]")
BRACES = re.compile(r"\{[A-Za-z_][A-Za-z0-9_.]*\}")
HTML_TAG = re.compile(r"</?(a|abbr|b|br|code|em|i|kbd|li|ol|p|small|span|strong|sub|sup|ul)\b[^>]*>")
# What makemessages walks but a copy of the sources does not need.
SKIPPED_DIRS = {"node_modules", "staticfiles", "media", "test-artifacts", "__pycache__", "locale"}


@pytest.fixture(scope="module")
def catalog() -> list[polib.POEntry]:
    """The catalog's live entries (makemessages keeps the ones the code dropped as obsolete)."""
    return [entry for entry in polib.pofile(str(CATALOG)) if not entry.obsolete]


@pytest.fixture(scope="module")
def plural_forms() -> str:
    return polib.pofile(str(CATALOG)).metadata["Plural-Forms"]


def _label(entry: polib.POEntry) -> str:
    return repr(entry.msgid if len(entry.msgid) < 80 else entry.msgid[:77] + "...")


def _forms(entry: polib.POEntry) -> list[tuple[str, str]]:
    """(source, translation) pairs: one for a plain entry, one per plural form otherwise."""
    if not entry.msgid_plural:
        return [(entry.msgid, entry.msgstr)]
    return [(entry.msgid if n == 0 else entry.msgid_plural, text) for n, text in sorted(entry.msgstr_plural.items())]


def _placeholders(text: str, entry: polib.POEntry) -> Counter:
    found = Counter()
    if "python-format" in entry.flags:
        found.update(PRINTF.findall(text))
    if "python-brace-format" in entry.flags:
        found.update(BRACES.findall(text))
    return found


def test_every_message_has_its_english_translation(catalog):
    missing = [_label(e) for e in catalog if any(not text.strip() for _s, text in _forms(e))]
    assert not missing, f"{len(missing)} messages without English:\n" + "\n".join(missing)


def test_no_translation_is_fuzzy(catalog):
    fuzzy = [_label(e) for e in catalog if "fuzzy" in e.flags]
    assert not fuzzy, f"{len(fuzzy)} fuzzy translations (check them, then remove the flag):\n" + "\n".join(fuzzy)


def test_plural_messages_have_every_plural_form(catalog, plural_forms):
    nplurals = int(re.search(r"nplurals=(\d+)", plural_forms).group(1))
    incomplete = [_label(e) for e in catalog if e.msgid_plural and len(e.msgstr_plural) != nplurals]
    assert not incomplete, "\n".join(incomplete)


def test_translations_keep_the_placeholders_and_the_markup_of_their_message(catalog):
    wrong = []
    for entry in catalog:
        for source, text in _forms(entry):
            if entry.msgid_plural:
                # A plural form may leave out the number (« one match »), never add a placeholder.
                extra = _placeholders(text, entry) - _placeholders(source, entry) - _placeholders(entry.msgid, entry)
                if extra:
                    wrong.append(f"{_label(entry)}: adds {sorted(extra)}")
                continue
            if _placeholders(source, entry) != _placeholders(text, entry):
                wrong.append(f"{_label(entry)}: {sorted(_placeholders(source, entry).elements())} ≠ {text!r}")
            if Counter(HTML_TAG.findall(source)) != Counter(HTML_TAG.findall(text)):
                wrong.append(f"{_label(entry)}: markup differs in {text!r}")
    assert not wrong, f"{len(wrong)} translations with other placeholders than their message:\n" + "\n".join(wrong)


def test_translations_are_english_not_french(catalog):
    """A msgstr copied from its msgid, or left half-translated, still reads French."""
    french = []
    for entry in catalog:
        for _source, text in _forms(entry):
            words = french_words(PRINTF.sub(" ", text))
            if words:
                french.append(f"{_label(entry)} → {text!r}: {words}")
    assert not french, f"{len(french)} translations with French words:\n" + "\n".join(french)


def test_the_compiled_catalog_matches_the_catalog(catalog):
    compiled = polib.mofile(str(COMPILED))
    in_mo = {(e.msgctxt, e.msgid): (e.msgstr, e.msgstr_plural) for e in compiled}
    stale = []
    for entry in catalog:
        if "fuzzy" in entry.flags:
            continue
        expected = (entry.msgstr, entry.msgstr_plural) if not entry.msgid_plural else ("", entry.msgstr_plural)
        got = in_mo.get((entry.msgctxt, entry.msgid))
        if got is None or (got[1] if entry.msgid_plural else got[0]) != (
            expected[1] if entry.msgid_plural else expected[0]
        ):
            stale.append(_label(entry))
    assert not stale, f"{len(stale)} messages differ in django.mo: run manage.py compilemessages -l en\n" + "\n".join(
        stale[:20]
    )


def _copy_sources(destination: Path) -> None:
    """The files makemessages reads (Python, templates, text), in the same tree, plus the catalog."""
    root = Path(settings.BASE_DIR)
    for directory, subdirs, files in os.walk(root):
        subdirs[:] = [d for d in subdirs if not d.startswith(".") and d not in SKIPPED_DIRS]
        for name in files:
            if name.endswith((".py", ".html", ".txt")):
                source = Path(directory) / name
                target = destination / source.relative_to(root)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(source, target)
    (destination / CATALOG.relative_to(root)).parent.mkdir(parents=True)
    shutil.copyfile(CATALOG, destination / CATALOG.relative_to(root))


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="needs GNU gettext (xgettext): apt-get install gettext")
def test_makemessages_finds_no_message_missing_from_the_catalog(tmp_path, catalog):
    """Every string marked for translation in the code is in the catalog."""
    _copy_sources(tmp_path)
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    result = subprocess.run(  # noqa: S603 (our own manage.py, with the interpreter running the tests)
        [sys.executable, "manage.py", "makemessages", "-l", "en", "--no-location"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    regenerated = polib.pofile(str(tmp_path / CATALOG.relative_to(settings.BASE_DIR)))
    committed = {(e.msgctxt, e.msgid) for e in catalog}
    new = [_label(e) for e in regenerated if not e.obsolete and (e.msgctxt, e.msgid) not in committed]
    assert not new, (
        f"{len(new)} messages of the code are not in locale/en: run makemessages -l en --no-location, "
        "translate them, compilemessages -l en:\n" + "\n".join(new)
    )
