"""Queries the ORM builds once per shape and the database runs with each request's values.

Building a query of several parts through the ORM can cost more than the database takes to answer it
(the list's facet counts and its table's names: 1-2 ms each to build at 10,000 commitments, several
times what they took to run). Where a query's SQL depends only on its *shape* (which parts it has,
how many values each list holds) and the request's values only fill its parameters, it is built once
per shape, with stand-in values, and run with the request's own in their places. Every query of
the project run this way goes through here: the list's facets and table names, the API list's
themes, agencies and blockers (api/items.py), the maintained facet counts, the overview's queries
of today (the rules' dates derived from the day), the commitment page's own row, its dependencies,
its themes and agencies, its trail, assessments and evidence files, its dialogue's rounds and what
it reads per request (the data's tokens, the reader's permissions and Follow state), the header's
follow state, and every request's session and user (login_state.py). ModelRows makes the rows of a
model's query into the instances the ORM would.

Why it is safe: the query is built twice, with two different sets of stand-ins. The SQL must be the
same, and each parameter must be, in both builds, either the same constant or the same stand-in.
A value that changes the SQL, or that the ORM transforms on its way to a parameter, fails that and
raises, so a shape that cannot be compiled this way fails loudly (in the tests) rather than count
wrong. Callers key their cache of compiled queries by the database vendor and every input of the
shape, and hold the compiled rows to the ORM's in tests on both databases.
"""

import datetime
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.db import connection
from django.db.models.query import get_related_populators

# Stand-ins far from any real value: negative ids, dates centuries ahead, text no slug can hold.
_FIRST, _SECOND = 0, 1


# Stand-ins of the two builds never meet below this many values (ids 100,000 apart, dates a century).
MAX_VALUES = 10_000


class PastDay:
    """A kind of value for compile_once: a day before today. A query of a past day's state has a
    shape of its own (the trail looked up), so its stand-ins must be past days too."""


def _stand_in(kind: type, place: int, build: int):
    if place >= MAX_VALUES:
        raise ValueError(f"A query compiled once takes at most {MAX_VALUES} values.")
    if kind is PastDay:
        return datetime.date(1900 - 100 * build, 1, 1) + datetime.timedelta(days=place)
    if kind is int:
        return -7_300_000 - 100_000 * build - place
    if kind is datetime.date:
        return datetime.date(3000 + 100 * build, 1, 1) + datetime.timedelta(days=place)
    if kind is datetime.datetime:
        start = datetime.datetime(3000 + 100 * build, 1, 1, tzinfo=datetime.UTC)
        return start + datetime.timedelta(seconds=place)
    if kind is str:
        return f"\x1fstand-in {build} {place}"
    raise TypeError(f"No stand-in for {kind.__name__}.")


def _as_parameter(value):
    """A value as the ORM passes it to the database (dates and times as the backend adapts them)."""
    if isinstance(value, datetime.datetime):  # first: a datetime is a date too
        return connection.ops.adapt_datetimefield_value(value)
    if isinstance(value, datetime.date):
        return connection.ops.adapt_datefield_value(value)
    return value


def _no_derived(values: Sequence) -> list:
    return []


@dataclass(frozen=True)
class CompiledQuery:
    sql: str
    # Per parameter: (True, index of the value that fills it) or (False, the constant it always is).
    # The indexes go on past the values given, into those `derived` works out from them.
    slots: tuple[tuple[bool, object], ...]
    derived: Callable[[Sequence], list] = _no_derived

    def params(self, values: Sequence) -> list:
        given = [_as_parameter(value) for value in (*values, *self.derived(values))]
        return [given[slot] if is_value else slot for is_value, slot in self.slots]

    def rows(self, values: Sequence) -> list[tuple]:
        """The query's rows for `values` (as raw as the database gives them: no ORM converters)."""
        with connection.cursor() as cursor:
            cursor.execute(self.sql, self.params(values))
            return cursor.fetchall()

    def dicts(self, values: Sequence) -> list[dict]:
        """The query's rows for `values` as dicts by column name (as raw as rows())."""
        with connection.cursor() as cursor:
            cursor.execute(self.sql, self.params(values))
            names = [column[0] for column in cursor.description]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def compile_once(
    build: Callable[[list], object],
    kinds: Sequence[type],
    optional=(),
    derived: Callable[[Sequence], list] = _no_derived,
) -> CompiledQuery:
    """The SQL of `build(values)` (a QuerySet) with its parameters mapped to `values`, whose types are
    `kinds` (int, str, datetime.date, datetime.datetime or PastDay). `build` must use each value only as a value of the query,
    never to choose what the query holds: that is its shape, which the caller keys on. Raises
    RuntimeError when two builds with different stand-ins do not differ only in the stand-ins'
    parameters, or when a value is none of them (but those at the places `optional`, which a
    shape may leave unread; see the module's docstring).

    `derived(values)`: values the query reads that `build` works out from `values` itself, in the
    same way (a rule's dates from the day judged on: its stale cutoff, its due-soon horizon); they
    are worked out again from each request's values. Each may fill parameters or not."""
    builds = []
    for which in (_FIRST, _SECOND):
        values = [_stand_in(kind, place, which) for place, kind in enumerate(kinds)]
        sql, params = build(values).query.sql_with_params()
        # Reversed, so that a derived value equal to a value (an offset of 0 days) names the value's
        # place: the same parameter either way.
        every = [*values, *derived(values)]
        places = {_as_parameter(value): place for place, value in reversed(list(enumerate(every)))}
        builds.append((sql, list(params), places))
    (sql, params, places), (other_sql, other_params, other_places) = builds
    if sql != other_sql or len(params) != len(other_params):
        raise RuntimeError("The query's SQL depends on its values: it cannot be compiled once.")
    slots = []
    for param, other in zip(params, other_params, strict=True):
        place, other_place = places.get(param), other_places.get(other)
        if place is not None and place == other_place:
            slots.append((True, place))
        elif place is None and other_place is None and param == other:
            slots.append((False, param))
        else:
            raise RuntimeError("A value reaches the query's parameters changed: it cannot be compiled once.")
    # A value the query never reads was used some other way (to choose a part, say), which the
    # compiled SQL would then ignore.
    if set(range(len(kinds))) - {slot for is_value, slot in slots if is_value} - set(optional):
        raise RuntimeError("A value is not one of the query's parameters: it cannot be compiled once.")
    return CompiledQuery(sql, tuple(slots), derived)


def compile_for_day(query_of: Callable, past: bool) -> tuple["CompiledQuery", "ModelRows"]:
    """`query_of(id, day)` (a queryset of one object's rows as they stood on `day`; None: today)
    compiled once, with the ModelRows that make its rows into instances: for today (its one value
    the id) or for a past day (the id and the day). Read with rows_on_day."""
    if past:
        build, kinds = (lambda values: query_of(values[0], values[1])), [int, PastDay]
    else:
        build, kinds = (lambda values: query_of(values[0], None)), [int]
    return compile_once(build, kinds), ModelRows(build([-1, datetime.date(1900, 1, 1)][: len(kinds)]))


def instances_on_day(compiled: tuple["CompiledQuery", "ModelRows"], pk: int, day, past: bool) -> list:
    """The instances of a query compiled by compile_for_day (for a past day when `past`)."""
    query, made = compiled
    return made.instances(query.rows([pk, day] if past else [pk]))


class ModelRows:
    """How the ORM makes a queryset's rows into its model's instances (ModelIterable's steps: each
    column's converters, the model's fields, the related instances of select_related, the
    annotations), taken once from the queryset as built with stand-ins, for the rows of the same
    query compiled once (compile_once): so that a read compiled once still gives the instances the
    ORM would, not rows each caller makes into them by hand."""

    def __init__(self, queryset):
        compiler = queryset.query.get_compiler(using=queryset.db)
        compiler.as_sql()  # decides the columns: select, klass_info, annotation_col_map
        self._compiler = compiler
        select, klass_info = compiler.select, compiler.klass_info
        own = klass_info["select_fields"]
        self._model = klass_info["model"]
        self._own = slice(own[0], own[-1] + 1)
        self._names = [column[0].target.attname for column in select[self._own]]
        self._related = get_related_populators(klass_info, select, queryset.db)
        self._annotations = dict(compiler.annotation_col_map)
        self._converters = compiler.get_converters([column[0] for column in select])

    def instances(self, rows: list[tuple]) -> list:
        if self._converters:
            rows = self._compiler.apply_converters(rows, self._converters)
        found = []
        for row in rows:
            instance = self._model.from_db(connection.alias, self._names, row[self._own])
            for populator in self._related:
                populator.populate(row, instance)
            for name, place in self._annotations.items():
                setattr(instance, name, row[place])
            found.append(instance)
        return found
