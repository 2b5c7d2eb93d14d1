"""The commitment list's items, written from plain values: what CommitmentSerializer writes from model
instances, byte for byte.

CommitmentSerializer stays the one statement of an item (the schema is read from it, and
tests/test_api_items.py holds every item written here to its output). A page of 25 items through it
cost two thirds of the list's computed time at 10,000 commitments (under cProfile, 32 of 46 ms a
request: model instances built for each commitment, theme and agency by the prefetches, then each
field asked for its attribute); written here from values, about 3.5 ms. A page takes two queries of
plain values: its commitments (with their dialogue and source joined, as the list's
FilterSet orders and filters them), then every theme, agency and troubling blocker of its ids in
one UNION, compiled once for today (tracker/compiled.py).
"""

import datetime
import functools
from collections.abc import Callable

from django.db import connection
from django.db.models import F, Value
from django.utils import timezone

from .. import links, rules
from ..compiled import compile_once
from ..models import Commitment, Participation, Status, is_past
from ..models.commitment import troubling_blocker_links
from ..selectors.table import COMPILED_ROWS

# The page's columns: the commitment's own (its state on the day asked about), its dialogue's and its source's.
COLUMNS = (
    "id",
    "title",
    "title_fr",
    "dialogue__slug",
    "dialogue__name",
    rules.STATE_STATUS,
    rules.STATE_PROGRESS,
    rules.STATE_LAST_UPDATE,
    "announced_on",
    "due_on",
    "quote",
    "source_id",
    "source__title",
    "source__language",
)

# The parts query's columns, named alike in each part of its UNION: what it is ("theme", "agency",
# "blocked"), whose, the order keys (as the serializer's prefetches order them: themes by order and
# name, agencies by role, country and name), then what an item shows.
PART_COLUMNS = ("kind", "commitment", "rank", "role", "sort_country", "name", "slug", "acronym", "country")
ORDER = ("rank", "role", "sort_country", "name")


def _parts_query(ids: list[int], day: datetime.date | None):
    """The themes, agencies and troubling blockers of the commitments `ids` on `day`, as PART_COLUMNS
    rows in the serializer's order within each commitment and kind."""
    no_text = Value("")

    def named(queryset, **columns):
        return queryset.order_by().annotate(**{f"part_{n}": v for n, v in columns.items()})

    themes = named(
        Commitment.themes.through.objects.filter(commitment_id__in=ids),
        kind=Value("theme"),
        commitment=F("commitment_id"),
        rank=F("theme__order"),
        role=no_text,
        sort_country=no_text,
        name=F("theme__name"),
        slug=F("theme__slug"),
        acronym=no_text,
        country=no_text,
    )
    agencies = named(
        Participation.objects.filter(commitment_id__in=ids),
        kind=Value("agency"),
        commitment=F("commitment_id"),
        rank=Value(0),
        role=F("role"),
        sort_country=F("agency__country"),
        name=F("agency__name"),
        slug=F("agency__slug"),
        acronym=F("agency__acronym"),
        country=F("country"),
    )
    # Asked of these rows' links alone, as the list page's table asks it (selectors/table.py).
    blocked = named(
        troubling_blocker_links(day).filter(from_commitment_id__in=ids),
        kind=Value("blocked"),
        commitment=F("from_commitment_id"),
        rank=Value(0),
        role=no_text,
        sort_country=no_text,
        name=no_text,
        slug=no_text,
        acronym=no_text,
        country=no_text,
    )
    names = [f"part_{n}" for n in PART_COLUMNS]
    parts = [part.values_list(*names) for part in (themes, agencies, blocked)]
    return parts[0].union(*parts[1:], all=True).order_by(*(f"part_{n}" for n in ORDER))


@functools.lru_cache(maxsize=128)
def _compiled_parts_query(vendor: str, rows: int):
    """_parts_query of today for `rows` commitments, compiled once: its values are the ids, then
    today's date (the blocked flag's)."""

    def build(values):
        return _parts_query(values[:rows], values[rows])

    return compile_once(build, [int] * rows + [datetime.date])


def _parts_rows(ids: list[int], day: datetime.date | None) -> list[tuple]:
    """_parts_query's rows: today's from its SQL compiled once for so many ids; a past day's (whose
    blockers' state is read from the trail), or a longer page's, through the ORM."""
    if not ids:
        return []
    if is_past(day) or len(ids) > COMPILED_ROWS:
        return list(_parts_query(ids, day))
    return _compiled_parts_query(connection.vendor, len(ids)).rows([*ids, timezone.localdate()])


def commitment_items(
    rows: list[dict], day: datetime.date | None, link: Callable[[int], str], absolute: Callable[[str], str]
) -> list[dict]:
    """The items of a page of commitments read as COLUMNS values (as of `day`; None: today), each as
    CommitmentSerializer writes it (1 query: their themes, agencies and blockers). `link` gives a
    commitment's web address, `absolute` a path's full URL."""
    ids = [row["id"] for row in rows]
    themes: dict[int, list] = {}
    agencies: dict[int, list] = {}
    blocked: set[int] = set()
    for kind, pk, _rank, role, _sort_country, name, slug, acronym, country in _parts_rows(ids, day):
        if kind == "theme":
            themes.setdefault(pk, []).append({"slug": slug, "name": name})
        elif kind == "agency":
            agencies.setdefault(pk, []).append(
                {"slug": slug, "name": name, "acronym": acronym, "country": country, "role": role}
            )
        else:
            blocked.add(pk)
    judged_on = day or timezone.localdate()
    stale_cutoff = rules.stale_cutoff(judged_on)
    labels = {value: str(label) for value, label in Status.choices}
    source_url = links.id_reverser("tracker:source_detail")

    def item(row: dict) -> dict:
        pk, status, source = row["id"], row[rules.STATE_STATUS], row["source_id"]
        announced_on, due_on, last_update_on = (
            row["announced_on"],
            row["due_on"],
            row[rules.STATE_LAST_UPDATE],
        )
        return {
            "id": pk,
            "title": row["title"],
            "title_fr": row["title_fr"],
            "dialogue": {"slug": row["dialogue__slug"], "name": row["dialogue__name"]},
            "themes": themes.get(pk, []),
            "agencies": agencies.get(pk, []),
            "status": {"code": status, "label": labels.get(status, status)},
            "progress": row[rules.STATE_PROGRESS],
            "announced_on": announced_on.isoformat(),
            "due_on": due_on.isoformat() if due_on else None,
            "last_update_on": last_update_on.isoformat() if last_update_on else None,
            "is_overdue": rules.is_overdue(status, due_on, judged_on),
            "is_stale": rules.is_stale_before(status, last_update_on, announced_on, stale_cutoff),
            "is_blocked": pk in blocked,
            "quote": row["quote"],
            "source": None
            if source is None
            else {
                "id": source,
                "title": row["source__title"],
                "language": row["source__language"],
                "url": absolute(source_url(source)),
            },
            "url": link(pk),
        }

    return [item(row) for row in rows]
