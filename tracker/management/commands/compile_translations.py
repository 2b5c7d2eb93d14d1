"""Compile the translation catalogues (locale/*/LC_MESSAGES/*.po) into the .mo files Django reads.

With polib, in pure Python: a fresh machine needs neither GNU gettext nor committed .mo files
(`make install` runs this; the .mo files are ignored by git). A .mo newer than its .po is left alone.
"""

from pathlib import Path

import polib
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


def catalogues(locale_dirs) -> list[Path]:
    """Every .po file under the given locale folders; none when a folder does not exist yet."""
    found = []
    for folder in map(Path, locale_dirs):
        if folder.is_dir():
            found.extend(sorted(folder.glob("*/LC_MESSAGES/*.po")))
    return found


def is_stale(po_path: Path) -> bool:
    mo_path = po_path.with_suffix(".mo")
    return not mo_path.exists() or mo_path.stat().st_mtime < po_path.stat().st_mtime


def compile_catalogue(po_path: Path) -> None:
    try:
        catalogue = polib.pofile(str(po_path))
    except (OSError, ValueError) as error:  # polib raises IOError/ValueError on a malformed file
        raise CommandError(f"{po_path} could not be read: {error}") from error
    catalogue.save_as_mofile(str(po_path.with_suffix(".mo")))


class Command(BaseCommand):
    help = "Compile locale/*/LC_MESSAGES/*.po into .mo files when a .mo is missing or older (pure Python)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--force", action="store_true", help="compile every catalogue, even up-to-date ones"
        )

    def handle(self, *args, force=False, **options):
        compiled = 0
        for po_path in catalogues(settings.LOCALE_PATHS):
            if force or is_stale(po_path):
                compile_catalogue(po_path)
                compiled += 1
                if options["verbosity"] > 1:
                    self.stdout.write(f"compiled {po_path}")
        if options["verbosity"] > 0:
            self.stdout.write(f"Translations: {compiled} catalogue(s) compiled.")
