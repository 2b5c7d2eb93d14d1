import sqlite3
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connection


class Command(BaseCommand):
    help = (
        "Copy the SQLite database to PATH while the server keeps running, using SQLite's online "
        "backup API (a consistent snapshot, even mid-write). See README, 'Backup and restore'."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="a new file to write the copy to")

    def handle(self, *args, path, **options):
        if connection.vendor != "sqlite":
            raise CommandError("backup copies an SQLite database; for PostgreSQL use pg_dump (see README).")
        target = Path(path)
        if target.exists():
            raise CommandError(f"{target} already exists; nothing was overwritten. Choose a new file name.")
        if not target.parent.is_dir():
            raise CommandError(f"{target.parent} is not a folder.")
        connection.ensure_connection()
        copy = sqlite3.connect(target)
        try:
            connection.connection.backup(copy)
        finally:
            copy.close()
        self.stdout.write(
            self.style.SUCCESS(f"Backed up the database to {target} ({target.stat().st_size} bytes).")
        )
