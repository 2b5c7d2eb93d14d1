import os
import tempfile
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from tracker.exports.dialogue_file import DialogueExportError, dialogue_file, dialogue_file_text
from tracker.models import Dialogue


class Command(BaseCommand):
    help = (
        "Write one dialogue — sources, themes, agencies, commitments, rounds, assessments and status "
        "updates — as the data file load_dialogue reads (README, 'Adding a dialogue'). Without PATH, "
        "the file is written to standard output."
    )

    def add_arguments(self, parser):
        parser.add_argument("slug", help="the dialogue's slug, as in /dialogues/<slug>/")
        parser.add_argument("path", nargs="?", help="the file to write (replaced if it exists)")

    def handle(self, *args, slug, path=None, **options):
        dialogue = self.dialogue_named(slug)
        try:
            exported = dialogue_file(dialogue=dialogue)
        except DialogueExportError as exc:
            raise CommandError(f"Nothing was written. {exc}") from exc
        text = dialogue_file_text(exported.data)
        for note in exported.notes:
            self.stderr.write(f"Note: {note}")
        if path is None:
            self.stdout.write(text, ending="")
            return
        self.write_file(Path(path), text)
        data = exported.data
        self.stderr.write(
            self.style.SUCCESS(
                f"Wrote {path}: {len(data['commitments'])} commitments, {len(data['rounds'])} rounds, "
                f"{len(data['updates'])} status updates, {len(data['assessments'])} assessments."
            )
        )

    def dialogue_named(self, slug: str) -> Dialogue:
        dialogue = Dialogue.objects.filter(slug=slug).first()
        if dialogue is None:
            known = ", ".join(Dialogue.objects.order_by("slug").values_list("slug", flat=True))
            raise CommandError(
                f"No dialogue has the slug '{slug}'. "
                + (f"The dialogues are: {known}." if known else "The tracker holds no dialogue yet.")
            )
        return dialogue

    def write_file(self, path: Path, text: str) -> None:
        """Write through a temporary file in the same folder, then move it into place: a failure
        half-way leaves any earlier export whole."""
        try:
            handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        except OSError as exc:
            raise CommandError(f"Nothing was written: cannot write to {path} ({exc.strerror}).") from exc
        try:
            with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as out:
                out.write(text)
            # mkstemp makes a private file; an export is meant to be read like any other file.
            os.chmod(temporary, 0o644)
            os.replace(temporary, path)
        except OSError as exc:
            Path(temporary).unlink(missing_ok=True)
            raise CommandError(f"Nothing was written: cannot write to {path} ({exc.strerror}).") from exc
