from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from tracker.loader import DEFAULT_DIALOGUE_FILE, DialogueFileError, dialogue_load, read_dialogue_file


class Command(BaseCommand):
    help = "Load (or refresh) a dialogue from a JSON file; loading the same file twice changes nothing."

    def add_arguments(self, parser):
        parser.add_argument(
            "path", nargs="?", default=str(DEFAULT_DIALOGUE_FILE), help="default: %(default)s"
        )
        parser.add_argument(
            "--author",
            metavar="USERNAME",
            help="the user the load is recorded under (history), and the author or assessor of the "
            "file's updates and assessments that name none; required when the file has such records",
        )

    def handle(self, *args, path, author=None, **options):
        user = self.user_named(author) if author else None
        try:
            counts = dialogue_load(data=read_dialogue_file(path), author=user)
        except DialogueFileError as exc:
            raise CommandError(f"Nothing was loaded. {exc}") from exc
        summary = ", ".join(f"{n} {what}" for what, n in sorted(counts.items()))
        self.stdout.write(self.style.SUCCESS(f"Loaded {path}: {summary}"))

    def user_named(self, username):
        try:
            return get_user_model().objects.get_by_natural_key(username)
        except get_user_model().DoesNotExist as exc:
            raise CommandError(
                f"Nothing was loaded. --author {username}: no user of the tracker has that username "
                "(create one in the admin or with createsuperuser, or name an existing one)."
            ) from exc
