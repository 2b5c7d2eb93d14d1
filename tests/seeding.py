"""The default dialogue for the `seed` fixture: loaded for real once per test process, then copied in.

Hundreds of tests start from the default dialogue, and loading it checks and saves every record one
by one (about a thousand queries, half a second of CPU). The first `seed` of a test process loads it
with the real loader and keeps the rows it wrote; every later one inserts those same rows in one
transaction, with their timestamps moved to now, then marks the data changed as the loader does.
Tests therefore see the database exactly as after a load. Where a copy could differ from a load (the
test wrote tracker data before asking for the seed, or the day has changed since the first load),
the real loader runs instead.
"""

import datetime
from dataclasses import dataclass, field

from django.apps import apps
from django.core.management.color import no_style
from django.db import connection, transaction
from django.utils import timezone

from tracker import caching
from tracker.loader import DEFAULT_DIALOGUE_FILE, dialogue_load, read_dialogue_file
from tracker.models import CommitmentCount, CommitmentCountry, DataStamp


@dataclass
class Snapshot:
    loaded_at: datetime.datetime
    finished_at: datetime.datetime
    # (model, field names, rows) in the order the models are registered; foreign keys are deferred
    # to the end of the transaction, so the order of the inserts does not matter.
    tables: list = field(default_factory=list)


_snapshot: Snapshot | None = None


def _copied_models():
    """Every table a load can write to, except the data stamp, which is refreshed instead, and the
    maintained counts and each commitment's countries, which the database's triggers make from the
    copied rows (tracker/counts.py, tracker/commitment_countries.py)."""
    made_by_triggers = (CommitmentCount, CommitmentCountry)
    return [
        model
        for model in apps.get_models(include_auto_created=True)
        if model._meta.managed and not model._meta.proxy and model not in (DataStamp, *made_by_triggers)
    ]


def _rows():
    """Every row of every table, by model (a few hundred rows: only done once per process)."""
    tables = {}
    for model in _copied_models():
        names = [f.attname for f in model._meta.concrete_fields]
        tables[model] = (names, set(model._base_manager.values_list(*names)))
    return tables


def _load_and_keep() -> Snapshot | None:
    """Load for real; return the rows the load added, or None when they are not the whole seed:
    the load changed rows that were there before, or added to tables that were not empty."""
    before = _rows()
    loaded_at = timezone.now()
    dialogue_load(data=read_dialogue_file(DEFAULT_DIALOGUE_FILE))
    snapshot = Snapshot(loaded_at=loaded_at, finished_at=timezone.now())
    for model, (names, rows) in _rows().items():
        old_rows = before[model][1]
        if not old_rows <= rows:
            return None
        added = sorted(rows - old_rows, key=lambda row: row[0])
        if added and old_rows:
            return None
        if added:
            snapshot.tables.append((model, names, added))
    return snapshot


def _can_copy(snapshot: Snapshot) -> bool:
    """A copy equals a load only into tables the seed fills that are still empty, on the same day."""
    if timezone.localdate() != timezone.localdate(snapshot.loaded_at):
        return False
    return not any(model._base_manager.exists() for model, _, _ in snapshot.tables)


def _moved(value, shift: datetime.timedelta):
    return value + shift if isinstance(value, datetime.datetime) else value


def _copy(snapshot: Snapshot) -> None:
    # The load's last write lands at now, so every copied row is older than what the test writes next.
    shift = timezone.now() - snapshot.finished_at
    with transaction.atomic():
        for model, names, rows in snapshot.tables:
            model._base_manager.bulk_create(
                [
                    model(**{name: _moved(value, shift) for name, value in zip(names, row, strict=True)})
                    for row in rows
                ]
            )
        _continue_sequences([model for model, _, _ in snapshot.tables])
        caching.data_changed()


def _continue_sequences(models) -> None:
    """Make the next id of each table follow the copied rows (PostgreSQL; SQLite does this itself),
    as after a load, even if an earlier test restarted the sequences."""
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), models):
            cursor.execute(sql)


def load_default_dialogue() -> None:
    """The default dialogue, as `make run` loads it (see the module's docstring)."""
    global _snapshot
    if _snapshot is not None and _can_copy(_snapshot):
        _copy(_snapshot)
    elif _snapshot is None or timezone.localdate(_snapshot.loaded_at) != timezone.localdate():
        _snapshot = _load_and_keep()
    else:
        dialogue_load(data=read_dialogue_file(DEFAULT_DIALOGUE_FILE))
