from django.core.management.base import BaseCommand, CommandError

from tracker.loader import DEFAULT_DIALOGUE_FILE, DialogueFileError, dialogue_load, read_dialogue_file


class Command(BaseCommand):
    help = "Load (or refresh) a dialogue from a JSON file; loading the same file twice changes nothing."

    def add_arguments(self, parser):
        parser.add_argument(
            "path", nargs="?", default=str(DEFAULT_DIALOGUE_FILE), help="default: %(default)s"
        )

    def handle(self, *args, path, **options):
        try:
            counts = dialogue_load(data=read_dialogue_file(path))
        except DialogueFileError as exc:
            raise CommandError(f"Nothing was loaded. {exc}") from exc
        summary = ", ".join(f"{n} {what}" for what, n in sorted(counts.items()))
        self.stdout.write(self.style.SUCCESS(f"Loaded {path}: {summary}"))
