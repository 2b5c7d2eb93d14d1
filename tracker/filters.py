"""The commitment filters, defined once: the list page, its htmx fragment and the CSV export use
this FilterSet, and the facet counts beside each filter are computed from it (selectors/).

The filters judge each commitment's state on the day the request is about: status, progress,
overdue, due soon and stale read the state fields `Commitment.objects.as_of(day)` annotates.
"""

import copy
import datetime
import operator
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import reduce

import django_filters
from django import forms
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import rules, search
from .models import (
    Agency,
    Commitment,
    Dialogue,
    Participation,
    Role,
    Status,
    Theme,
    children_mean_progress,
    country_name,
)
from .rules import STATE_LAST_UPDATE, STATE_PROGRESS, STATE_REASON, STATE_STATUS, SlipReason

SLUG_OR_CODE = re.compile(r"[-a-zA-Z0-9_]{1,100}")


class AnySlugField(forms.MultipleChoiceField):
    """Several slugs or codes, repeated in the query string; an unknown one simply matches nothing.

    Checking them against the database here would cost a query per filter on every request; the
    facet lists, which are fetched anyway, tell the user which values are unknown. Only the shape
    is checked: what no slug can contain (a NUL byte, say) never reaches the database.
    """

    default_error_messages = {"invalid_choice": "“%(value)s” is not a valid name for this filter."}

    def valid_value(self, value):
        return bool(SLUG_OR_CODE.fullmatch(value))


class SlugsFilter(django_filters.MultipleChoiceFilter):
    field_class = AnySlugField


def _participations_of(values):
    """Subquery of commitment ids whose participations match `values` (a dict of lookups)."""
    return Participation.objects.filter(**values).values("commitment_id")


ROLLUP = "rollup_progress"  # annotated only when sorting by it (see filter_queryset)
RELEVANCE = "search_relevance"  # likewise

SORTS = {
    "": (_("Announcement order"), ["announced_on", "id"]),
    "title": (_("Title (A–Z)"), ["title", "id"]),
    "-progress": (_("Most progress"), [F(STATE_PROGRESS).desc(), "id"]),
    "progress": (_("Least progress"), [F(STATE_PROGRESS).asc(), "id"]),
    "due": (_("Due soonest"), [F("due_on").asc(nulls_last=True), "id"]),
    "-updated": (_("Recently updated"), [F(STATE_LAST_UPDATE).desc(nulls_last=True), "id"]),
    "updated": (_("Longest without an update"), [F(STATE_LAST_UPDATE).asc(nulls_first=True), "id"]),
    # Commitments without sub-commitments have no roll-up and come last.
    "-rollup": (_("Sub-commitments' mean progress"), [F(ROLLUP).desc(nulls_last=True), "id"]),
    # The best match of the search first (tracker/search.py); without a search, the default order.
    "relevance": (_("Relevance to the search"), [F(RELEVANCE).asc(), "id"]),
}


@dataclass(frozen=True)
class ActiveFilter:
    """One filter in force, in words: its label and the names of the values chosen (any of which
    matches), or only `values` for a filter that is a single condition ("Overdue")."""

    label: str
    values: tuple[str, ...]


# Filters whose values are conditions ("Overdue", "Due soon", "Stale"): named by their values
# alone where the filters in force are stated (on screen, on paper, in a file name).
CONDITIONS = ("due", "stale", "blocked")


# Every list, fragment and export request builds this FilterSet, and Django and django-filter would
# deep-copy each of its filters and form fields for it, choices and their translatable labels
# included: 0.5 ms a request, more than half of making and validating the filters. Nothing changes a
# filter or a field per request (their choices are fixed; the facets' options are read apart), so
# each request gets its own dict of them: the fields shared, each filter copied shallowly
# (django-filter sets the FilterSet on its filters, and a filter's method looks it up there).


class SharedFields(dict):
    """A form's base fields, given to each form as they are rather than deep-copied."""

    def __deepcopy__(self, memo):
        return dict(self)


class SharedFilters(dict):
    """A FilterSet's base filters, copied shallowly for each FilterSet rather than deep-copied."""

    def __deepcopy__(self, memo):
        return {name: _own_copy(filter_) for name, filter_ in self.items()}


def _own_copy(filter_):
    copied = copy.copy(filter_)
    if filter_.method is not None:
        # Set again, it is bound to the copy (django-filter's FilterMethod calls the copy's FilterSet).
        copied.method = filter_.method
    return copied


class CommitmentFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_text", label=_("Search"), max_length=200)
    dialogue = SlugsFilter(method="filter_dialogue", label=_("Dialogue"))
    theme = SlugsFilter(method="filter_theme", label=_("Theme"))
    # agency, country and role are applied together (see filter_queryset): "lead" qualifies the
    # agency or country chosen, so it must be one condition on the same participation row.
    agency = SlugsFilter(method="filter_together", label=_("Agency"))
    country = SlugsFilter(method="filter_together", label=_("Country"))
    role = django_filters.ChoiceFilter(
        choices=[(Role.LEAD, _("Only where they lead")), (Role.PARTNER, _("Only where they are partners"))],
        method="filter_together",
        label=_("Role"),
        empty_label=None,
    )
    # distinct=False: a condition on the commitment's own row cannot repeat it, and the DISTINCT
    # django-filter adds by default made the database sort every match, whole rows, to drop
    # duplicates there could not be before taking a page (a word and a status on SQLite: 10 to 3 ms).
    status = django_filters.MultipleChoiceFilter(
        field_name=STATE_STATUS, choices=Status.choices, label=_("Status"), distinct=False
    )
    # The reason the latest update (on the day asked about) gave for slipping: state, like status.
    reason = django_filters.MultipleChoiceFilter(
        field_name=STATE_REASON, choices=SlipReason.choices, label=_("Reason for slippage"), distinct=False
    )
    # Overdue and due soon are kept apart by the rules (see rules.py, "due soon"); choosing both
    # lists either, as two values of one filter do everywhere else.
    due = django_filters.MultipleChoiceFilter(
        choices=[("overdue", _("Overdue")), ("soon", _("Due soon"))],
        method="filter_due",
        label=_("Due"),
    )
    stale = django_filters.ChoiceFilter(
        choices=[("1", _("No update for a long time"))],
        method="filter_stale",
        label=_("Stale"),
        empty_label=None,
    )
    blocked = django_filters.ChoiceFilter(
        choices=[("1", _("Blocked"))], method="filter_blocked", label=_("Blocked"), empty_label=None
    )
    sort = django_filters.ChoiceFilter(
        choices=[(key, label) for key, (label, _order) in SORTS.items() if key],
        method="sort_by",
        label=_("Sort by"),
        empty_label=SORTS[""][0],
    )

    class Meta:
        model = Commitment
        fields = []

    def __init__(self, data=None, queryset=None, *, day: datetime.date | None = None, **kwargs):
        """`queryset` must come from Commitment.objects.as_of(day): the filters read its state fields."""
        super().__init__(data, queryset, **kwargs)
        self.day = day or timezone.localdate()

    @classmethod
    def _form_class(cls, build):
        # The form's class: built once per FilterSet class rather than per request (a quarter of
        # making and validating the filters: 0.26 of 0.85 ms). Its fields depend only on the filters
        # as declared (labels and choices are lazy, translated when read), and every form made from
        # it shares them (see SharedFields): nothing a request does changes a field.
        if "_built_form_class" not in cls.__dict__:
            form_class = build()
            form_class.base_fields = SharedFields(form_class.base_fields)
            cls._built_form_class = form_class
        return cls._built_form_class

    def get_form_class(self):
        return self._form_class(super().get_form_class)

    def filter_text(self, queryset, name, value):
        if not value.strip():
            return queryset
        return search.commitments_matching(queryset, value)

    # Slugs are matched in a subquery rather than a join: SQLite then looks the few ids up once and
    # walks an index on the id, which is several times faster on a large table.
    def filter_dialogue(self, queryset, name, values):
        return queryset.filter(dialogue__in=Dialogue.objects.filter(slug__in=values).values("pk"))

    def filter_theme(self, queryset, name, values):
        themes = Theme.objects.filter(slug__in=values).values("pk")
        through = Commitment.themes.through.objects.filter(theme__in=themes)
        return queryset.filter(pk__in=through.values("commitment_id"))

    def filter_together(self, queryset, name, value):
        return queryset  # see filter_queryset

    def filter_due(self, queryset, name, values):
        conditions = {"overdue": rules.overdue_q, "soon": rules.due_soon_q}
        return queryset.filter(reduce(operator.or_, (conditions[value](self.day) for value in values)))

    def filter_stale(self, queryset, name, value):
        return queryset.stale(self.day)

    def filter_blocked(self, queryset, name, value):
        return queryset.blocked(self.day)

    def sort_by(self, queryset, name, value):
        return queryset  # applied last, in filter_queryset

    def filter_queryset(self, queryset):
        sort = self.form.cleaned_data.get("sort") or ""
        if sort == "-rollup":
            queryset = queryset.annotate(**{ROLLUP: children_mean_progress(self.day)})
        if sort == "relevance":
            # Without words to weigh, relevance says nothing: the default order.
            ranking = search.relevance(self.form.cleaned_data.get("q") or "")
            if ranking is None:
                return self.apply(queryset).order_by(*SORTS[""][1])
            queryset = queryset.annotate(**{RELEVANCE: ranking})
        return self.apply(queryset).order_by(*SORTS[sort][1])

    def active(self, skip=()) -> bool:
        """Whether any filter other than `skip` (and the sort) narrows the list."""
        return any(
            value for name, value in self.form.cleaned_data.items() if name not in skip and name != "sort"
        )

    def apply(self, queryset, skip=()):
        """The validated filters, minus the names in `skip`, applied to `queryset` (unordered).

        The facet counts use this to count "everything but my own filter" without building and
        validating another FilterSet for each facet.
        """
        data = {name: value for name, value in self.form.cleaned_data.items() if name not in skip}
        for name, value in data.items():
            queryset = self.filters[name].filter(queryset, value)
        lookups = {}
        if data.get("agency"):
            lookups["agency__in"] = Agency.objects.filter(slug__in=data["agency"]).values("pk")
        if data.get("country"):
            lookups["country__in"] = data["country"]
        if lookups and data.get("role"):
            lookups["role"] = data["role"]
        if lookups:
            queryset = queryset.filter(pk__in=_participations_of(lookups))
        return queryset

    def described(
        self, names: Mapping[str, Mapping[str, str]], labels: Mapping[str, str] | None = None
    ) -> list[ActiveFilter]:
        """The filters in force, in words and in declaration order, for the line that states them
        (on screen and on paper). The sort is not a filter: see `sort_label`.

        `names` gives, by filter, the display name of each slug or code (dialogues, themes and
        agencies live in the database, and the page has read them already); values with fixed
        choices are named by those choices; a value with no name (an unknown slug) is shown as
        typed. `labels` renames a filter where a page words it differently (an "Objective").
        """
        chosen = getattr(self.form, "cleaned_data", {})
        labels = labels or {}
        active = []
        for name, field in self.form.fields.items():
            value = chosen.get(name)
            if name == "sort" or not value:
                continue
            label = labels.get(name, field.label)
            if name == "q":
                if value.strip():
                    active.append(ActiveFilter(label, (_("“%(text)s”") % {"text": value.strip()},)))
                continue
            known = {**dict(getattr(field, "choices", ())), **names.get(name, {})}
            if name == "country":  # a code's name needs no query
                known = {code: country_name(code) for code in value} | known
            values = tuple(str(known.get(v, v)) for v in (value if isinstance(value, list) else [value]))
            active.append(ActiveFilter("" if name in CONDITIONS else label, values))
        return active

    def sort_label(self) -> str:
        """The chosen order in words, or "" for the default order."""
        sort = getattr(self.form, "cleaned_data", {}).get("sort") or ""
        return str(SORTS[sort][0]) if sort else ""

    def problems(self) -> list[str]:
        """The form's errors as sentences a person can act on."""
        return [
            f"{self.form.fields[field].label}: {message}"
            for field, messages in self.form.errors.items()
            for message in messages
        ]


CommitmentFilter.base_filters = SharedFilters(CommitmentFilter.base_filters)
