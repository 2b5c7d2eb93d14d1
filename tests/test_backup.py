import sqlite3

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from tracker import services
from tracker.models import Commitment, Status, StatusUpdate

pytestmark = pytest.mark.skipif(
    connection.vendor != "sqlite", reason="the backup command copies SQLite databases"
)


@pytest.mark.django_db(transaction=True)  # a backup copies committed data, as a live server would
def test_a_backup_holds_every_update(seed, editor, tmp_path):
    for i, commitment in enumerate(Commitment.objects.all()):
        services.status_update_create(
            commitment=commitment, author=editor, status=Status.ON_TRACK, progress=i, text=f"update {i}"
        )
    target = tmp_path / "backup.sqlite3"
    call_command("backup", str(target))

    restored = sqlite3.connect(target)
    rows = restored.execute("SELECT id, text FROM tracker_statusupdate ORDER BY id").fetchall()
    restored.close()
    assert rows == list(StatusUpdate.objects.order_by("id").values_list("id", "text"))
    assert len(rows) == 9


def test_a_backup_never_overwrites_a_file(db, tmp_path):
    target = tmp_path / "existing.sqlite3"
    target.write_text("keep me")
    with pytest.raises(CommandError, match="already exists"):
        call_command("backup", str(target))
    assert target.read_text() == "keep me"
