"""The filtered list and its facet counts."""

import datetime
import functools
from dataclasses import dataclass, field

from django.core.exceptions import EmptyResultSet
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import CharField, Count, DateField, F, IntegerField, Sum, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast, Concat
from django.http import QueryDict
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from .. import caching, search
from ..compiled import CompiledQuery, compile_once
from ..counts import counts_of_one, facet_counts, maintained_counts
from ..filters import SLUG_OR_CODE, ActiveFilter, CommitmentFilter
from ..models import (
    Agency,
    Commitment,
    CommitmentCountry,
    Dialogue,
    Participation,
    SlipReason,
    Status,
    Theme,
    country_name,
    is_past,
    localized_text,
)
from ..models.content import active_language
from ..rules import STATE_REASON, STATE_STATUS
from .common import SEPARATOR, commitments_for_listing, status_and_reason_then
from .table import CommitmentRow, commitment_rows

# Marks the kind of a facet query's rows that count the commitments announced after a past day.
LATER = "-later"
# The filters whose chosen values are plain parameters of the facet query, and the text search, whose
# one parameter is worked out from its text (search.database_query): a request choosing only these,
# today, runs that query compiled once for its shape (see _compiled_facet_query).
COMPILED_FILTERS = ("dialogue", "theme", "agency", "country", "role", "status", "reason", "q")
COMPILED_VALUES = 50

# The filters that do not narrow a facet's own counts (each facet counts with every *other* filter).
OWN_FILTERS = {
    "theme": ("theme",),
    "agency": ("agency", "role"),
    "country": ("country", "role"),
    "reason": ("reason",),
}


# A list whose filters in force are all among these is filed under the scopes of one of them (see
# tracker/caching.py): the first of SCOPE_FILTERS in force, whose values name the scopes. A
# commitment's state moving cannot change which commitments they match.
SCOPE_FILTERS = ("agency", "theme", "country", "dialogue")
STATELESS_FILTERS = {*SCOPE_FILTERS, "role", "q"}
# Besides them, such a list may be sorted (but by the sub-commitments' progress, which reads other
# commitments' state) and paged.
SCOPED_EXTRAS = {"sort", "page"}
UNSCOPED_SORTS = {"-rollup"}


@dataclass
class FacetOption:
    value: str
    label: str
    count: int
    selected: bool


@dataclass
class Facet:
    name: str
    label: str
    options: list[FacetOption]
    unknown: list[str] = field(default_factory=list)


class KnownCountPaginator(Paginator):
    """A paginator told its total, so it does not run a COUNT query of its own."""

    def __init__(self, object_list, per_page, count):
        super().__init__(object_list, per_page)
        self._known_count = count

    @cached_property
    def count(self):
        return self._known_count


class CommitmentBrowser(caching.CachedPage):
    """The filtered list with its facet counts.

    Each facet counts what each of its options would match with every *other* filter applied, so
    picking a second status or theme widens the list rather than emptying it. The total comes
    from the status facet (statuses are disjoint), which saves a COUNT query.
    """

    def __init__(self, query_dict, page_size: int, day: datetime.date | None = None):
        self.query_dict = query_dict
        self.page_size = page_size
        self.day = day
        self._others_by_skipped: dict[tuple, object] = {}
        self._compiled_others: dict[object, RawSQL | None] = {}  # None: matches nothing

    # Built on first use: a page served from the cache is keyed by the query string alone and never
    # needs them (the form's fields are deep-copied and validated: a third of such a request's time).
    # Over the commitments alone: the page's table reads its rows' names and flags in a query of its
    # own (see `rows`); the API's items, two of their own (tracker/api/items.py).
    @cached_property
    def filterset(self) -> CommitmentFilter:
        filterset = CommitmentFilter(
            self.query_dict, queryset=Commitment.objects.as_of(self.day), day=self.day
        )
        filterset.is_valid()  # validated at once: everything after reads its cleaned data
        return filterset

    def listing(self):
        """The matching commitments in order, as model instances with everything an item of the API
        shows: dialogue, themes, agencies and whether it is blocked (see
        selectors.common.commitments_for_listing). What CommitmentSerializer writes an item from: the
        API writes its items from plain values instead (tracker/api/items.py), and
        tests/test_api_items.py holds them to the serializer's over this."""
        return self.filterset.filter_queryset(commitments_for_listing(self.day))

    @property
    def valid(self) -> bool:
        return self.filterset.is_valid()  # the form keeps its errors: validated once

    def _others(self, *names):
        """Commitments matching every filter but the named ones, or None when no other filter is set
        and the day is today.

        None lets a facet count plainly, without a subquery, which is most requests' case. A past
        day always narrows: to the commitments announced by then.
        """
        if not self.filterset.active(skip=names) and not is_past(self.day):
            return None
        # Facets whose own filters are not in force count the same commitments: one queryset for them.
        skipped = tuple(name for name in names if self.filterset.form.cleaned_data.get(name))
        if skipped not in self._others_by_skipped:
            base = Commitment.objects.as_of(self.day).order_by()
            self._others_by_skipped[skipped] = self.filterset.apply(base, skip=skipped)
        return self._others_by_skipped[skipped]

    def _chosen(self, name) -> list[str]:
        return (self.filterset.form.cleaned_data.get(name) or []) if self.valid else []

    @cached_property
    def facets(self) -> list[Facet]:
        """The facets: their counts from the cache while the data is unchanged (see
        tracker/caching.py), their options' names read afresh (one query).

        Only the counts are cached, as plain numbers by id or code: pickling the facets themselves,
        hundreds of options as objects with translatable labels, cost every computed page 0.6 ms to
        write (more than the page's own HTML) and a page served them 2 ms to read back, more than
        the options' names take to read."""
        if not self.valid:
            return []
        labels = facet_labels()
        ids = _ids_by_slug(labels)
        counts = caching.remember(
            self.token, "facet-counts", (self.day, self._filter_values()), lambda: self._facet_counts(ids)
        )
        return self._facets_from(labels, counts)

    # Nothing of the trail but the commitments' state (caching.CachedPage.reads_trail): today's list
    # survives writes to the trail alone.
    reads_trail = False

    @cached_property
    def token(self) -> str:
        """The state token, or for a list narrowed only by filters a state cannot change, the token of
        the scopes it is narrowed to (see tracker/caching.py): it survives the state moves of
        commitments outside them."""
        scopes = self.scopes
        return self.state_token if scopes is None else caching.scoped_token(scopes)

    @cached_property
    def scopes(self) -> list[str] | None:
        """The scopes this list is filed under ("agency:<slug>"...), or None when it is not scoped.
        Read from the query string as typed, not the validated filters (a page served from the cache
        never builds them): a value of a slug's shape that names nothing only adds a scope that
        never moves."""
        if is_past(self.day):
            return None
        chosen = {name: [value for value in values if value] for name, values in self.query_dict.lists()}
        chosen = {name: values for name, values in chosen.items() if values}
        if not set(chosen) <= STATELESS_FILTERS | SCOPED_EXTRAS or UNSCOPED_SORTS & set(
            chosen.get("sort", [])
        ):
            return None
        scoped_by = next((name for name in SCOPE_FILTERS if name in chosen), None)
        if scoped_by is None or not all(SLUG_OR_CODE.fullmatch(value) for value in chosen[scoped_by]):
            return None  # what no slug can hold (a NUL byte, say) never reaches the database
        return [f"{scoped_by}:{value}" for value in chosen[scoped_by]]

    def cache_parts(self) -> tuple:
        # The rendered list shows the filters, the sort and the page: all of the query string.
        return tuple(sorted(self.query_dict.lists()))

    def _filter_values(self) -> tuple:
        """The chosen filters in a canonical form: what the facet counts depend on (not the sort)."""
        return tuple(
            (name, tuple(sorted(value)) if isinstance(value, list) else value)
            for name, value in sorted(self.filterset.form.cleaned_data.items())
            if value and name != "sort"
        )

    def _count_facets(self) -> list[Facet]:
        """Six facets in two queries, nothing cached: option labels (one UNION), then every count in
        one more (see _facet_counts)."""
        labels = facet_labels()
        return self._facets_from(labels, self._facet_counts(_ids_by_slug(labels)))

    def _facet_counts(self, ids: dict[str, dict[str, int]]) -> dict[str, dict]:
        """Every facet's counts (1 query), by status, dialogue id, theme id, country, agency id and
        reason: either all from the maintained counts (see tracker/counts.py) or, when they cannot
        answer every facet, from one UNION of a part per facet (see _counted). `ids`: the
        dialogues', themes' and agencies' ids by slug."""
        if self._maintained_counts_answer():
            links = self._maintained_counts(ids["dialogue"])
            status_counts, dialogue_counts = links["status"], links["dialogue"]
        else:
            links = self._counted(ids)
            status_counts, dialogue_counts = self._split_status_and_dialogue(
                links.pop("status"), ids["dialogue"]
            )
        return {
            "status": status_counts,
            "dialogue": dialogue_counts,
            "theme": links["theme"],
            "country": dict(sorted(links["country"].items())),
            "agency": links["agency"],
            "reason": links["reason"],
        }

    def _facets_from(self, labels: dict[str, list], counts: dict[str, dict]) -> list[Facet]:
        """The six facets from the options' labels (facet_labels) and their counts (_facet_counts)."""

        def by_slug(kind):
            counts_by_id = counts[kind]
            return [(row.slug, row.label) for row in labels[kind]], {
                row.slug: counts_by_id.get(row.pk, 0) for row in labels[kind]
            }

        country_counts = counts["country"]
        return [
            self._facet("status", _("Status"), Status.choices, counts["status"]),
            self._facet("dialogue", _("Dialogue"), *by_slug("dialogue")),
            self._facet("theme", _("Theme"), *by_slug("theme")),
            self._facet(
                "country", _("Country"), [(c, country_name(c)) for c in country_counts], country_counts
            ),
            self._facet("agency", _("Agency"), *by_slug("agency")),
            self._facet("reason", _("Reason for slippage"), SlipReason.choices, counts["reason"]),
        ]

    def _maintained_counts_answer(self, kind: str | None = None) -> bool:
        """Whether the maintained counts hold this request's facets (or, given a `kind`, that facet's
        counts): today's state, narrowed (if at all) only by status and dialogue, which every
        maintained count is kept by. A facet's own filter does not narrow its counts; a role does
        narrow the agencies and countries counted, and the maintained counts know no roles."""
        if is_past(self.day):
            return False
        if kind is None:
            return not self.filterset.active(skip=("status", "dialogue"))
        if kind == "status":
            return self._one_counted_value() is not None
        if kind in ("agency", "country") and self._chosen_role():
            return False
        return not self.filterset.active(skip=(*OWN_FILTERS[kind], "status", "dialogue"))

    def _one_counted_value(self) -> tuple[str, str] | None:
        """(filter, value) when, besides status and dialogue, the one filter in force is a single
        theme, agency, country or reason, without a role: the commitments it matches are then those
        counted under that one code, and the maintained counts hold them by dialogue and status."""
        rest = [
            (name, value)
            for name, value in self.filterset.form.cleaned_data.items()
            if value and name not in ("status", "dialogue", "sort")
        ]
        if len(rest) != 1:
            return None
        name, values = rest[0]
        return (name, values[0]) if name in OWN_FILTERS and len(values) == 1 else None

    def _chosen_role(self) -> str:
        return (self.filterset.form.cleaned_data.get("role") or "") if self.valid else ""

    def _chosen_dialogue_ids(self, dialogue_ids: dict[str, int]) -> list[int] | None:
        """The chosen dialogues' ids (None: no dialogue filter); chosen dialogues unknown by that name
        match nothing, as the filter does."""
        chosen = self._chosen("dialogue")
        return [dialogue_ids[slug] for slug in chosen if slug in dialogue_ids] if chosen else None

    def _maintained_counts(self, dialogue_ids: dict[str, int]) -> dict[str, dict]:
        """All six facets' counts from the maintained counts (1 query)."""
        return facet_counts(self._chosen("status"), self._chosen_dialogue_ids(dialogue_ids))

    def _facet(self, name, label, choices, counts: dict) -> Facet:
        """Options from (value, label) pairs with their counts, marked when chosen; chosen values that
        match no option are reported as unknown."""
        chosen = self._chosen(name)
        options = [FacetOption(value, text, counts.get(value, 0), value in chosen) for value, text in choices]
        known = {o.value for o in options}
        return Facet(name, label, options, unknown=[v for v in chosen if v not in known])

    def _within(self, queryset, *names):
        """Link rows (theme links, participations) of the commitments matching every filter but the
        named ones (see _others); all when that is every commitment.

        When the text search is the only other filter, today, the links are narrowed by the search's
        own ids: a join to the commitments would only repeat them, and PostgreSQL, which cannot tell
        how many a word matches, planned that join as a loop over every match (the facet counts for
        a word in 4,300 of 10,000 commitments: 41 to 22 ms; SQLite 25 to 20 ms).

        Otherwise several facets often count within the same commitments: their ids' subquery is
        compiled once and its SQL given to each (compiling a nested filter again for each part cost
        more than the database took to run them all)."""
        others = self._others(*names)
        if others is None:
            return queryset
        text = self.filterset.form.cleaned_data.get("q") or ""
        only_the_search = not is_past(self.day) and not self.filterset.active(skip=(*names, "q"))
        ids = search.matching_ids(text) if only_the_search else None
        if ids is not None:
            return queryset.filter(commitment_id__in=ids)
        if others not in self._compiled_others:
            try:
                sql, params = others.values("pk").query.sql_with_params()
            except EmptyResultSet:  # filters that can match nothing (as a subquery, the same)
                self._compiled_others[others] = None
            else:
                self._compiled_others[others] = RawSQL(sql, params)  # noqa: S611 -- SQL Django compiled, parameters apart
        compiled = self._compiled_others[others]
        return queryset.none() if compiled is None else queryset.filter(commitment_id__in=compiled)

    def _split_status_and_dialogue(self, rows: dict, dialogue_ids: dict[str, int]) -> tuple[dict, dict]:
        """The status and the dialogue counts from the (dialogue id, status) counts of the commitments
        matching the other filters: the status counts keep only the chosen dialogues' rows, and the
        other way round. The dialogue counts come back keyed by dialogue id."""
        chosen_statuses = set(self._chosen("status"))
        chosen_dialogues = {dialogue_ids.get(slug) for slug in self._chosen("dialogue")}
        by_status: dict[str, int] = {}
        by_dialogue: dict[int, int] = {}
        for (dialogue_id, status), n in rows.items():
            if not chosen_dialogues or dialogue_id in chosen_dialogues:
                by_status[status] = by_status.get(status, 0) + n
            if not chosen_statuses or status in chosen_statuses:
                by_dialogue[dialogue_id] = by_dialogue.get(dialogue_id, 0) + n
        return by_status, by_dialogue

    def _participations(self, name):
        participations = self._within(Participation.objects.all(), name, "role")
        role = self._chosen_role()
        if role:
            participations = participations.filter(role=role)
        return participations

    def _countries(self) -> tuple:
        """The rows the country facet counts, and how: each commitment's distinct countries (one row
        per commitment and country, see tracker/commitment_countries.py), or with a role chosen the
        participations in that role, which count a commitment once per country (DISTINCT)."""
        if self._chosen_role():
            return self._participations("country"), "country", Count("commitment_id", distinct=True)
        return self._within(CommitmentCountry.objects.all(), "country", "role"), "country", Count("pk")

    def _counted_query(self, ids: dict[str, dict[str, int]]):
        """Every facet's counts, each with every other filter applied, in one query: a UNION of one part
        per facet, (kind, id, code, n) rows. A facet the maintained counts can answer (its own filter aside, only status and
        dialogue are chosen: `?theme=` leaves the theme counts as they are unfiltered) reads them;
        the others count the matching commitments.

        Statuses and dialogues are counted together, by (dialogue id, status), and split in Python;
        read from the maintained counts when the only other filter is one theme, agency, country or
        reason (see _one_counted_value). `ids`: the dialogues', themes' and agencies' ids by slug.
        Themes and agencies are counted by id from their link tables (one link per commitment and
        theme or agency, by unique constraints, so no DISTINCT); countries from each commitment's
        distinct countries, kept apart for them (one commitment can have several agencies from one
        country; see _countries); reasons count the commitments whose state (on the day asked about)
        gives that reason. Each part groups by its plain column, so the database can read it in index
        order.
        """

        def grouped(kind, queryset, column, n, by_id=True, code=None):
            # Rows are (kind, id, code, n), named apart from any column (the maintained counts have a `code`): ids for themes and agencies (and the dialogue for the status
            # counts), codes for countries, reasons and statuses.
            return (
                queryset.values(*([column] if code is None else [column, code]))
                .annotate(
                    facet_n=n,
                    facet=Value(kind),
                    # Typed NULLs: PostgreSQL reads a bare NULL under DISTINCT as text, which a
                    # UNION with the id columns then refuses.
                    facet_id=F(column) if by_id else Cast(Value(None), IntegerField()),
                    facet_code=Cast(Value(None), CharField())
                    if code is None and by_id
                    else F(code or column),
                )
                .values_list("facet", "facet_id", "facet_code", "facet_n")
                .order_by()
            )

        dialogue_ids = self._chosen_dialogue_ids(ids["dialogue"])

        def maintained(kind):
            rows = maintained_counts(kind, self._chosen("status"), dialogue_ids)
            return grouped(kind, rows, "code", Sum("n"), by_id=False)

        def by_dialogue_and_status():
            if self._maintained_counts_answer("status"):
                name, value = self._one_counted_value()
                # A slug names its id's counts; an unknown one, no count row ("" is no theme's or agency's code).
                code = str(ids[name].get(value, "")) if name in ids else value
                rows = counts_of_one(name, code)
                return grouped("status", rows, "dialogue_id", Sum("n"), code="status")
            others = self._others("status", "dialogue")
            commitments = others if others is not None else Commitment.objects.as_of(self.day).order_by()
            return grouped("status", commitments, "dialogue_id", Count("pk"), code=STATE_STATUS)

        recounts = {
            "theme": lambda: grouped(
                "theme",
                self._within(Commitment.themes.through.objects.all(), "theme"),
                "theme_id",
                Count("pk"),
            ),
            "agency": lambda: grouped("agency", self._participations("agency"), "agency_id", Count("pk")),
            "country": lambda: grouped("country", *self._countries(), by_id=False),
            "reason": lambda: grouped("reason", self._with_reason(), STATE_REASON, Count("pk"), by_id=False),
        }

        def announced_later(kind):
            # The links of the commitments announced after the day, counted to be taken away from
            # today's maintained counts of every commitment.
            later = Commitment.objects.filter(announced_on__gt=self.day).values("pk")
            if kind == "theme":
                links, column, n = Commitment.themes.through.objects.all(), "theme_id", Count("pk")
            elif kind == "agency":
                links, column, n = Participation.objects.all(), "agency_id", Count("pk")
            else:
                links, column, n = CommitmentCountry.objects.all(), "country", Count("pk")
            return grouped(
                f"{kind}{LATER}", links.filter(commitment_id__in=later), column, n, kind != "country"
            )

        if self._states_counted_together():
            first = self._states_part(grouped)
            recounts.pop("reason")  # counted with the statuses
        else:
            first = by_dialogue_and_status()
        parts = []
        for kind, recount in recounts.items():
            if self._maintained_counts_answer(kind):
                parts.append(maintained(kind))
            elif self._counted_by_announcement(kind):
                parts += [maintained(kind), announced_later(kind)]
            else:
                parts.append(recount())
        return first.union(*parts, all=True)

    def _counted(self, ids: dict[str, dict[str, int]]) -> dict[str, dict]:
        """Every facet's counts, each with every other filter applied, in one query (see
        _counted_query), compiled once for this request's shape where it can be (see _facet_shape)."""
        shape = self._facet_shape(ids)
        if shape is None:
            rows = self._counted_query(ids)
        else:
            rows = _compiled_facet_query(connection.vendor, shape).rows(self._facet_values(ids, shape))
        counts: dict[str, dict] = {"status": {}, "theme": {}, "agency": {}, "country": {}, "reason": {}}
        states: dict[tuple, int] = {}
        for kind, pk, code, n in rows:
            if kind == "state":
                states[(pk, *code.split(SEPARATOR))] = n
            elif kind == "status":
                counts[kind][(pk, code)] = n
            else:
                # An id, or a code: a country's or a reason's, or (from the maintained counts) a theme's or agency's id.
                kind, sign = (kind[: -len(LATER)], -1) if kind.endswith(LATER) else (kind, 1)
                key = pk if pk is not None else int(code) if kind in ("theme", "agency") else code
                counts[kind][key] = counts[kind].get(key, 0) + sign * n
        if self._states_counted_together():
            counts["status"], counts["reason"] = self._split_states(states, ids["dialogue"])
        return counts

    def _counted_by_announcement(self, kind: str) -> bool:
        """Whether, on a past day, a theme, agency or country facet counts every commitment announced
        by then (no filter but its own, no role): today's maintained counts of every commitment less
        those of the commitments announced after the day, a few hundred links, instead of a count of
        every link of the rest (at 10,000 commitments a year back, 9,000 of them)."""
        if not is_past(self.day) or (kind in ("agency", "country") and self._chosen_role()):
            return False
        return not self.filterset.active(skip=OWN_FILTERS[kind])

    def _states_counted_together(self) -> bool:
        """Whether the status, dialogue and reason facets all come from one part of the facet query
        (see _states_part): on a past day always; today when the maintained counts answer neither
        the statuses nor the reasons (a search, several themes, a role…)."""
        if is_past(self.day):
            return True
        return not self._maintained_counts_answer("status") and not self._maintained_counts_answer("reason")

    def _states_part(self, grouped):
        """The part of the facet query that counts the commitments by dialogue and by status and
        reason packed in one code ("status|reason": status_and_reason_then on a past day, the stored
        columns today), matching every filter but those three: the status, dialogue and reason
        facets all come from it (see _split_states), each commitment read once. Counted apart, a
        past day's statuses looked each up once and the reasons twice (a filter and a group); today
        the matches were read twice (a search's 4,300 of 10,000 commitments: 2.6 ms, then 1.7)."""
        others = self._others("status", "dialogue", "reason")
        commitments = others if others is not None else Commitment.objects.as_of(self.day).order_by()
        if is_past(self.day):
            packed = status_and_reason_then(self.day)
        else:
            packed = Concat(STATE_STATUS, Value(SEPARATOR), STATE_REASON, output_field=CharField())
        commitments = commitments.annotate(status_and_reason=packed)
        return grouped("state", commitments, "dialogue_id", Count("pk"), code="status_and_reason")

    def _split_states(self, states: dict, dialogue_ids: dict[str, int]) -> tuple[dict, dict]:
        """The (dialogue id, status) counts and the reason counts from the counts by (dialogue id,
        status, reason) of the commitments matching every filter but status, dialogue and reason:
        each facet keeps the rows the other two's filters choose, as its own query would."""
        reasons = set(self._chosen("reason"))
        statuses = set(self._chosen("status"))
        dialogues = {dialogue_ids.get(slug) for slug in self._chosen("dialogue")}
        by_status: dict[tuple, int] = {}
        by_reason: dict[str, int] = {}
        for (dialogue_id, status, reason), n in states.items():
            if not reasons or reason in reasons:
                by_status[(dialogue_id, status)] = by_status.get((dialogue_id, status), 0) + n
            if (
                reason
                and (not statuses or status in statuses)
                and (not dialogues or dialogue_id in dialogues)
            ):
                by_reason[reason] = by_reason.get(reason, 0) + n
        return by_status, by_reason

    def _facet_shape(self, ids: dict[str, dict[str, int]]) -> tuple | None:
        """What the facet query's SQL depends on besides its values, or None when this request's query
        must be built for it: the filters chosen and how many values each, how many of the chosen
        dialogues exist, and whether the one theme or agency chosen reads its maintained counts.

        Only today's filters whose values are the query's plain parameters, and the text search, are
        compiled: a past day and the filters that read the day (due, stale, blocked) are not, nor a
        text with no word in it (it matches nothing, which the ORM writes as no query at all); nor
        a status or reason chosen twice or more (django-filter asks for each in the order of a set),
        any value repeated (the ORM drops repeats from its lists), or more than COMPILED_VALUES
        values in all (a query string no person writes: not worth a compiled query of its own).
        """
        if is_past(self.day) or not self.valid:
            return None
        chosen = {name: value for name, value in self.filterset.form.cleaned_data.items() if value}
        if any(name not in COMPILED_FILTERS for name in chosen if name != "sort"):
            return None
        lists = [value for name, value in chosen.items() if isinstance(value, list)]
        if any(len(set(values)) != len(values) for values in lists):
            return None
        if sum(len(values) for values in lists) > COMPILED_VALUES:
            return None
        if len(chosen.get("status", ())) > 1 or len(chosen.get("reason", ())) > 1:
            return None
        if "q" in chosen and not search.search_terms(chosen["q"]):
            return None
        filters = tuple(
            (name, len(chosen[name]) if isinstance(chosen[name], list) else 1)
            for name in COMPILED_FILTERS
            if name in chosen
        )
        known_dialogues = len(self._chosen_dialogue_ids(ids["dialogue"]) or [])
        one = self._one_counted_value() if self._maintained_counts_answer("status") else None
        one_code = one is not None and one[0] in ids  # a theme's or agency's id, as its code
        return filters, known_dialogues, one_code

    def _facet_values(self, ids: dict[str, dict[str, int]], shape: tuple) -> list:
        """The values of the facet query compiled for `shape`, in its order (see _compiled_facet_query):
        each filter's, then the chosen dialogues' ids, then the one theme's or agency's code."""
        filters, _known, one_code = shape
        chosen = self.filterset.form.cleaned_data
        values = [value for name, _n in filters for value in _as_list(chosen[name])]
        values += self._chosen_dialogue_ids(ids["dialogue"]) or []
        if one_code:
            name, value = self._one_counted_value()
            values.append(str(ids[name].get(value, "")))
        return values

    def _with_reason(self):
        """The commitments matching every other filter whose state gives a reason for slippage."""
        others = self._others("reason")
        base = others if others is not None else Commitment.objects.as_of(self.day).order_by()
        return base.exclude(**{STATE_REASON: ""})

    @cached_property
    def total(self) -> int:
        if not self.valid:
            return 0
        statuses = self.facets[0].options
        chosen = [o for o in statuses if o.selected]
        return sum(o.count for o in (chosen or statuses))

    @cached_property
    def page(self):
        """The page of commitments, with their dialogue: the table reads their themes, leads and
        whether each is blocked for these rows alone, in one small query of its own (see `rows`)."""
        queryset = self.filterset.qs.select_related("dialogue") if self.valid else Commitment.objects.none()
        paginator = KnownCountPaginator(queryset, self.page_size, self.total)
        return paginator.get_page(self.query_dict.get("page"))

    @cached_property
    def rows(self) -> list[CommitmentRow]:
        """The page's rows as the table shows them (2 queries: the rows, then their themes, leads and
        whether each is blocked)."""
        return commitment_rows(self.page.object_list, self.day, themes=True, leads=True, blocked=True)

    @property
    def problems(self) -> list[str]:
        messages = self.filterset.problems()
        for facet in self.facets:
            messages += [f"{facet.label}: nothing is called “{value}”." for value in facet.unknown]
        return messages

    @property
    def active_filters(self) -> list[ActiveFilter]:
        """The filters in force, in words, named as the facets name their options (no query of its
        own: the facets are read for the page anyway)."""
        names = {facet.name: {o.value: o.label for o in facet.options} for facet in self.facets}
        return self.filterset.described(names)

    @property
    def sort_label(self) -> str:
        return self.filterset.sort_label()

    @property
    def is_filtered(self) -> bool:
        return any(key != "page" for key in self.query_dict)


def _ids_by_slug(labels: dict[str, list]) -> dict[str, dict[str, int]]:
    """The dialogues', themes' and agencies' ids by slug, from facet_labels."""
    return {kind: {row.slug: row.pk for row in labels[kind]} for kind in ("dialogue", "theme", "agency")}


def _as_list(value) -> list:
    return value if isinstance(value, list) else [value]


@functools.lru_cache(maxsize=256)
def _compiled_facet_query(vendor: str, shape: tuple) -> CompiledQuery:
    """CommitmentBrowser._counted_query for a request of this shape (see _facet_shape), compiled once
    (tracker/compiled.py) and run with each request's values (see _facet_values). Building it took
    3-4 ms a request at 10,000 commitments, twice what the database took to answer it.

    It is built by a browser whose chosen filters, and the dialogues, themes and agencies they name,
    are the stand-ins: every choice _counted_query makes reads only what the shape holds (which
    filters, how many values, how many known dialogues, which facets the maintained counts answer),
    and the values themselves go only into its parameters. The chosen dialogues are in it twice, by
    slug (the filter) and by id (the maintained counts): a query may read only one of the two. A
    search's text is in it as the database's query of its words (search.database_query), the one
    parameter the search adds wherever it narrows a part.
    """
    filters, known_dialogues, one_code = shape

    def build(values):
        browser = CommitmentBrowser(QueryDict(), page_size=1)
        chosen = dict(browser.filterset.form.cleaned_data)  # every filter, none chosen
        at = 0
        for name, n in filters:
            chosen[name] = values[at] if name in ("role", "q") else list(values[at : at + n])
            at += n
        dialogue_ids = values[at : at + known_dialogues]
        at += known_dialogues
        # The first chosen dialogues are the known ones (their ids fill the query; see _facet_values).
        known = dict(zip(chosen["dialogue"][:known_dialogues], dialogue_ids, strict=True))
        ids = {"dialogue": known, "theme": {}, "agency": {}}
        if one_code:
            name, value = next((name, chosen[name][0]) for name in ("theme", "agency") if chosen[name])
            ids[name] = {value: values[at]}
        browser.filterset.form.cleaned_data = chosen
        return browser._counted_query(ids)

    sizes = dict(filters)
    kinds = [str] * sum(sizes.values()) + [int] * known_dialogues + ([str] if one_code else [])
    # The chosen dialogues' slugs come first (COMPILED_FILTERS' order); their ids after every filter's
    # values. A query may read either alone (see the docstring).
    filter_values = sum(sizes.values())
    optional = [*range(sizes.get("dialogue", 0)), *range(filter_values, filter_values + known_dialogues)]
    if "q" not in sizes:
        return compile_once(build, kinds, optional=optional)
    # The text's place: the last filter's (COMPILED_FILTERS' order). The query reads it only as the
    # database's query of its words, worked out again from each request's text.
    text = filter_values - 1
    return compile_once(
        build,
        kinds,
        optional=[*optional, text],
        derived=lambda values: [search.database_query(values[text])],
    )


@dataclass
class FacetLabel:
    pk: int
    slug: str
    label: str


def agency_label(name: str, acronym: str, country: str) -> str:
    """How a filter names an agency: "National Aeronautics and Space Administration (NASA) · United
    States", so two countries' ministries of the same name, or an unfamiliar acronym, are told apart.
    `country` is the country's name, in the reader's language."""
    named = f"{name} ({acronym})" if acronym else name
    return f"{named} · {country}"


def facet_labels_query():
    """facet_labels' query: every dialogue, theme and agency as (kind, id, slug, name, announced on,
    order, country, acronym, French name) rows."""
    no_date, no_rank, no_text = Value(None, DateField()), Value(0), Value("")
    dialogues = Dialogue.objects.order_by().values_list(
        Value("dialogue"), "pk", "slug", "name", "announced_on", no_rank, no_text, no_text, "name_fr"
    )
    themes = Theme.objects.order_by().values_list(
        Value("theme"), "pk", "slug", "name", no_date, "order", no_text, no_text, "name_fr"
    )
    agencies = Agency.objects.order_by().values_list(
        Value("agency"), "pk", "slug", "name", no_date, no_rank, "country", "acronym", "name_fr"
    )
    return dialogues.union(themes, agencies, all=True)


@functools.cache
def _compiled_facet_labels(vendor: str) -> CompiledQuery:
    """facet_labels_query compiled once (tracker/compiled.py): it has no values. Building it took
    0.6 ms a request, more than the database took to answer it."""
    return compile_once(lambda values: facet_labels_query(), [])


def facet_labels() -> dict[str, list]:
    """Every dialogue, theme and agency (id, slug, label) in display order, and the agencies'
    country codes, from one UNION query."""
    sort_keys = {
        "dialogue": lambda row: (-row[4].toordinal(), row[3]),  # newest first
        "theme": lambda row: (row[5], row[3]),  # the theme's display order
        "agency": lambda row: (row[6], row[3]),  # by country, then name
    }
    rows = _compiled_facet_labels(connection.vendor).rows([])
    # Hundreds of agencies share a few countries: each country's name is looked up once; and the
    # reader's language, once for all the names.
    countries = functools.cache(country_name)
    language = active_language()

    def label(row) -> FacetLabel:
        kind, pk, slug, name, _day, _rank, country, acronym, name_fr = row
        # In the reader's language (the cache keys carry it); options and the filters' line are plain text.
        shown = localized_text(name, name_fr, language=language).text
        if kind != "agency":
            return FacetLabel(pk, slug, shown)
        return FacetLabel(pk, slug, agency_label(shown, acronym, countries(country)))

    labels = {
        kind: [label(row) for row in sorted((r for r in rows if r[0] == kind), key=key)]
        for kind, key in sort_keys.items()
    }
    labels["country"] = sorted({row[6] for row in rows if row[0] == "agency"})
    return labels


def filter_choices(labels: dict[str, list] | None = None) -> dict[str, list[tuple[str, str]]]:
    """(value, label) options for a plain filter form: dialogues, themes, agencies (one query, or
    none given `labels`, facet_labels() read already) and the agencies' countries."""
    labels = labels or facet_labels()
    return {
        "dialogue": [(row.slug, row.label) for row in labels["dialogue"]],
        "theme": [(row.slug, row.label) for row in labels["theme"]],
        "agency": [(row.slug, row.label) for row in labels["agency"]],
        "country": [(code, country_name(code)) for code in labels["country"]],
        "status": Status.choices,
    }
