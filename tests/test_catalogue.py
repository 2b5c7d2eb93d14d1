"""The French catalogue (locale/fr/LC_MESSAGES/django.po) is complete, keeps every placeholder and is
up to date with the code (issue 15)."""

import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import polib
import pytest

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = ROOT / "locale" / "fr" / "LC_MESSAGES" / "django.po"
# What makemessages reads: the same folders and options as the command in the README/notes.
SOURCES = ["config", "tracker", "templates", "static", "manage.py"]
IGNORED = ["--ignore=.venv", "--ignore=staticfiles", "--ignore=test-artifacts", "--ignore=tests"]

# Python %-placeholders (named or not, %% included), str.format fields, HTML tags and entities.
PLACEHOLDER = re.compile(r"%(?:\([^)]+\))?[-#0 +]*\d*(?:\.\d+)?[sdifr%]|\{[\w.]*\}|</?[a-zA-Z][^>]*>|&\w+;")


def catalogue():
    return polib.pofile(str(CATALOGUE))


def placeholders(text):
    return Counter(PLACEHOLDER.findall(text))


def translations(entry):
    """Each msgstr with the msgid it must match (the plural form for every msgstr[n] but the first)."""
    if entry.msgid_plural:
        return [
            (entry.msgid if n == 0 else entry.msgid_plural, text) for n, text in entry.msgstr_plural.items()
        ]
    return [(entry.msgid, entry.msgstr)]


def describe(entry):
    return f"{entry.msgid[:70]!r} ({', '.join(place for place, _ in entry.occurrences[:2])})"


def test_every_entry_is_translated_and_none_is_fuzzy():
    po = catalogue()
    untranslated = [describe(e) for e in po.untranslated_entries()]
    fuzzy = [describe(e) for e in po.fuzzy_entries()]
    assert not untranslated, "Not translated:\n" + "\n".join(untranslated)
    assert not fuzzy, "Fuzzy (check, then remove the flag):\n" + "\n".join(fuzzy)
    assert not po.metadata_is_fuzzy, "the header is still marked fuzzy"


def test_every_translation_keeps_the_placeholders_of_its_source():
    problems = []
    for entry in catalogue():
        for source, text in translations(entry):
            if placeholders(source) != placeholders(text):
                problems.append(
                    f"{describe(entry)}: {dict(placeholders(source))} → {dict(placeholders(text))}"
                )
    assert not problems, "Placeholders lost or added:\n" + "\n".join(problems)


def test_french_plural_rule_and_encoding():
    metadata = catalogue().metadata
    assert metadata["Plural-Forms"].replace(" ", "") == "nplurals=2;plural=(n>1);"
    assert metadata["Language"] == "fr"
    assert "charset=UTF-8" in metadata["Content-Type"]


def test_french_typography_has_non_breaking_spaces():
    """A space before : ; ! ? » and %, or after «, is a non-breaking one (U+00A0 or U+202F), so a line
    never starts with the punctuation."""
    ordinary_space = re.compile(r" [:;!?»]| %(?![(%\w])|« ")
    problems = [
        describe(entry)
        for entry in catalogue()
        for _, text in translations(entry)
        if ordinary_space.search(text)
    ]
    assert not problems, "Ordinary space where French needs a non-breaking one:\n" + "\n".join(problems)


def keys(po):
    return {(entry.msgctxt, entry.msgid, entry.msgid_plural) for entry in po if entry.msgid}


@pytest.mark.skipif(
    shutil.which("xgettext") is None or shutil.which("msgmerge") is None,
    reason="GNU gettext (xgettext, msgmerge) is not installed: makemessages cannot run here",
)
def test_the_catalogue_is_up_to_date_with_the_code(tmp_path):
    """makemessages run on a copy of the code finds the very msgids the catalogue holds: no new string
    left untranslated, no translation kept for a string the code no longer has."""
    for name in SOURCES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
        elif source.exists():
            shutil.copy(source, tmp_path / name)
    (tmp_path / "locale").mkdir()
    subprocess.run(  # noqa: S603 -- our own interpreter and command, fixed arguments
        [sys.executable, "manage.py", "makemessages", "-l", "fr", "--no-obsolete", *IGNORED],
        cwd=tmp_path,
        check=True,
        capture_output=True,
        env={**os.environ, "DJANGO_DEBUG": "1"},
    )
    fresh = keys(polib.pofile(str(tmp_path / "locale" / "fr" / "LC_MESSAGES" / "django.po")))
    ours = keys(catalogue())
    missing = sorted(msgid for _, msgid, _ in fresh - ours)
    stale = sorted(msgid for _, msgid, _ in ours - fresh)
    assert not missing, "Strings in the code but not in the catalogue (run makemessages):\n" + "\n".join(
        missing
    )
    assert not stale, "Strings in the catalogue the code no longer has:\n" + "\n".join(stale)
