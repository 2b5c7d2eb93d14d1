"""The `seed` fixture's copy of the default dialogue (tests/seeding.py) is the same data as a real load."""

import datetime

from django.db import transaction
from django.db.models import DateTimeField, Max

from tests import seeding
from tracker import caching
from tracker.loader import DEFAULT_DIALOGUE_FILE, dialogue_load, read_dialogue_file


def contents(models):
    """Each table's rows, as a sorted list: foreign keys replaced by the rank of the row they point to in
    its table (two loads draw different ids from PostgreSQL's sequences), and the row's own id and its
    timestamps left out (the order in which a set of links is written is not fixed, and the time
    says when a row was written)."""
    rank = {
        model: {pk: i for i, pk in enumerate(sorted(model._base_manager.values_list("pk", flat=True)))}
        for model in models
    }

    def value(model, field, raw):
        if field.is_relation and field.related_model in rank:
            return rank[field.related_model].get(raw, raw)
        instance_type = getattr(model, "instance_type", None)  # a history row's copy of the id
        if instance_type in rank and field.attname == instance_type._meta.pk.attname:
            return rank[instance_type].get(raw, raw)
        return raw

    tables = {}
    for model in models:
        fields = [f for f in model._meta.concrete_fields if not left_out(model, f)]
        rows = model._base_manager.values_list(*[f.attname for f in fields])
        tables[model._meta.label] = sorted(
            (tuple(value(model, f, raw) for f, raw in zip(fields, row, strict=True)) for row in rows),
            key=repr,
        )
    return tables


def left_out(model, field):
    if field.primary_key or isinstance(field, DateTimeField):
        return True
    # The history of a set of links keeps each link's id, whose order is not fixed either.
    instance_type = getattr(model, "instance_type", None)
    return bool(instance_type and instance_type._meta.auto_created and field.attname == "id")


def test_a_copied_seed_holds_the_same_rows_as_a_load(db):
    with transaction.atomic():
        seeding.load_default_dialogue()  # the first time in this process, if no test came before
        transaction.set_rollback(True)
    assert seeding._snapshot is not None and seeding._can_copy(seeding._snapshot)
    models = [model for model, _, _ in seeding._snapshot.tables]

    with transaction.atomic():
        dialogue_load(data=read_dialogue_file(DEFAULT_DIALOGUE_FILE))
        loaded = contents(models)
        transaction.set_rollback(True)

    before = caching.data_token()
    started = datetime.datetime.now(datetime.UTC)
    seeding.load_default_dialogue()
    assert contents(models) == loaded
    assert caching.data_token() != before  # the copy tells cached pages the data changed, as a load does
    for model in models:  # timestamps say now, and never after what the test writes next
        for field in model._meta.concrete_fields:
            if isinstance(field, DateTimeField):
                latest = model._base_manager.aggregate(latest=Max(field.attname))["latest"]
                if latest is not None:
                    assert (
                        started - datetime.timedelta(seconds=5)
                        < latest
                        <= datetime.datetime.now(datetime.UTC)
                    )
