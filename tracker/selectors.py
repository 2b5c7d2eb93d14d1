"""Reads: each page's queries, composed once, each with a fixed number of SQL statements."""

from collections import Counter
from dataclasses import dataclass, field

from django.core.paginator import Paginator
from django.db.models import Case, CharField, Count, DateField, F, IntegerField, Prefetch, Q, Sum, Value, When
from django.db.models.functions import Coalesce, NullIf
from django.utils import timezone
from django.utils.functional import cached_property

from . import caching
from .filters import CommitmentFilter
from .models import (
    Agency,
    Commitment,
    Dialogue,
    Participation,
    Role,
    Status,
    StatusUpdate,
    Theme,
    overdue,
    stale,
    stale_cutoff,
)

# --- shared pieces ------------------------------------------------------------------------------


def commitments_for_listing():
    """Commitments with everything a row shows: dialogue, themes and agencies (3 queries)."""
    return Commitment.objects.select_related("dialogue").prefetch_related(
        Prefetch("themes", queryset=Theme.objects.order_by("order", "name")),
        Prefetch(
            "participations",
            queryset=Participation.objects.select_related("agency").order_by(
                "role", "agency__country", "agency__name"
            ),
        ),
    )


@dataclass
class StatusCount:
    value: str
    label: str
    count: int


# --- the commitment list and its facets --------------------------------------------------------


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

    def __init__(self, query_dict, page_size: int):
        self.query_dict = query_dict
        self.page_size = page_size
        self.filterset = CommitmentFilter(query_dict, queryset=commitments_for_listing())
        self.valid = self.filterset.is_valid()

    def _others(self, *names):
        """Commitments matching every filter but the named ones, or None when no other filter is set.

        None lets a facet count plainly, without a subquery, which is most requests' case.
        """
        if not self.filterset.active(skip=names):
            return None
        return self.filterset.apply(Commitment.objects.order_by(), skip=names)

    def _chosen(self, name) -> list[str]:
        return (self.filterset.form.cleaned_data.get(name) or []) if self.valid else []

    @cached_property
    def facets(self) -> list[Facet]:
        """The facets, from the cache while the data is unchanged (see tracker/caching.py)."""
        if not self.valid:
            return []
        return caching.remember(self.token, "facets", self._filter_values(), self._count_facets)

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
        """Five facets in three queries: option labels (one UNION), status and dialogue counts (one
        GROUP BY, split below), theme, agency and country counts (three GROUP BYs in one UNION)."""
        labels = facet_labels()
        ids = {kind: {row.slug: row.pk for row in rows} for kind, rows in labels.items()}
        status_counts, dialogue_counts = self._status_and_dialogue_counts(ids["dialogue"])
        links = self._link_counts()
        country_counts = dict(sorted(links["country"].items()))

        def by_slug(kind, counts_by_id):
            return [(row.slug, row.label) for row in labels[kind]], {
                row.slug: counts_by_id.get(row.pk, 0) for row in labels[kind]
            }

        return [
            self._facet("status", "Status", Status.choices, status_counts),
            self._facet("dialogue", "Dialogue", *by_slug("dialogue", dialogue_counts)),
            self._facet("theme", "Theme", *by_slug("theme", links["theme"])),
            self._facet("country", "Country", [(c, c) for c in country_counts], country_counts),
            self._facet("agency", "Agency", *by_slug("agency", links["agency"])),
        ]

    def _facet(self, name, label, choices, counts: dict) -> Facet:
        """Options from (value, label) pairs with their counts, marked when chosen; chosen values that
        match no option are reported as unknown."""
        chosen = self._chosen(name)
        options = [FacetOption(value, text, counts.get(value, 0), value in chosen) for value, text in choices]
        known = {o.value for o in options}
        return Facet(name, label, options, unknown=[v for v in chosen if v not in known])

    def _within(self, queryset, others):
        """Link rows (theme links, participations) of the `others` commitments; all when None."""
        return queryset if others is None else queryset.filter(commitment_id__in=others.values("pk"))

    def _status_and_dialogue_counts(self, dialogue_ids: dict[str, int]) -> tuple[dict, dict]:
        """Both from one GROUP BY (status, dialogue) over the commitments matching the other filters:
        the status counts keep only the chosen dialogues' rows, and the other way round. Counts are
        by id (no join); the dialogue counts come back keyed by dialogue id."""
        others = self._others("status", "dialogue")
        base = others if others is not None else Commitment.objects.order_by()
        rows = base.values("status", "dialogue_id").annotate(n=Count("pk")).order_by()
        chosen_statuses = set(self._chosen("status"))
        chosen_dialogues = {dialogue_ids.get(slug) for slug in self._chosen("dialogue")}
        by_status: dict[str, int] = {}
        by_dialogue: dict[int, int] = {}
        for row in rows:
            if not self._chosen("dialogue") or row["dialogue_id"] in chosen_dialogues:
                by_status[row["status"]] = by_status.get(row["status"], 0) + row["n"]
            if not chosen_statuses or row["status"] in chosen_statuses:
                by_dialogue[row["dialogue_id"]] = by_dialogue.get(row["dialogue_id"], 0) + row["n"]
        return by_status, by_dialogue

    def _participations(self, name):
        participations = self._within(Participation.objects.all(), self._others(name, "role"))
        if self.filterset.form.cleaned_data.get("role"):
            participations = participations.filter(role=Role.LEAD)
        return participations

    def _link_counts(self) -> dict[str, dict]:
        """Theme, agency and country counts, each with every other filter applied, in one query.

        Themes and agencies are counted by id from their link tables (one link per commitment and
        theme or agency, by unique constraints, so no DISTINCT); countries count distinct
        commitments, since one commitment can have several agencies from one country. Each part
        groups by its plain column, so the database can read it in index order.
        """

        def grouped(kind, queryset, column, n):
            # Rows are (kind, id, code, n): ids for themes and agencies, codes for countries.
            by_id = column != "country"
            return (
                queryset.values(column)
                .annotate(
                    n=n,
                    kind=Value(kind),
                    id=F(column) if by_id else Value(None, IntegerField()),
                    code=Value(None, CharField()) if by_id else F(column),
                )
                .values_list("kind", "id", "code", "n")
                .order_by()
            )

        themes = self._within(Commitment.themes.through.objects.all(), self._others("theme"))
        rows = grouped("theme", themes, "theme_id", Count("pk")).union(
            grouped("agency", self._participations("agency"), "agency_id", Count("pk")),
            grouped(
                "country", self._participations("country"), "country", Count("commitment_id", distinct=True)
            ),
            all=True,
        )
        counts: dict[str, dict] = {"theme": {}, "agency": {}, "country": {}}
        for kind, pk, code, n in rows:
            counts[kind][pk if code is None else code] = n
        return counts

    @cached_property
    def total(self) -> int:
        if not self.valid:
            return 0
        statuses = self.facets[0].options
        chosen = [o for o in statuses if o.selected]
        return sum(o.count for o in (chosen or statuses))

    @cached_property
    def page(self):
        queryset = self.filterset.qs if self.valid else Commitment.objects.none()
        paginator = KnownCountPaginator(queryset, self.page_size, self.total)
        return paginator.get_page(self.query_dict.get("page"))

    @property
    def problems(self) -> list[str]:
        messages = self.filterset.problems()
        for facet in self.facets:
            messages += [f"{facet.label}: nothing is called “{value}”." for value in facet.unknown]
        return messages

    @property
    def is_filtered(self) -> bool:
        return any(key != "page" for key in self.query_dict)


@dataclass
class FacetLabel:
    pk: int
    slug: str
    label: str


def facet_labels() -> dict[str, list[FacetLabel]]:
    """Every dialogue, theme and agency (id, slug, label) in display order, from one UNION query."""
    no_date, no_rank, no_country = Value(None, DateField()), Value(0), Value("")
    dialogues = Dialogue.objects.order_by().values_list(
        Value("dialogue"), "pk", "slug", "name", "announced_on", no_rank, no_country
    )
    themes = Theme.objects.order_by().values_list(
        Value("theme"), "pk", "slug", "name", no_date, "order", no_country
    )
    agencies = Agency.objects.order_by().values_list(
        Value("agency"),
        "pk",
        "slug",
        Coalesce(NullIf("acronym", Value("")), "name"),
        no_date,
        no_rank,
        "country",
    )
    sort_keys = {
        "dialogue": lambda row: (-row[4].toordinal(), row[3]),  # newest first
        "theme": lambda row: (row[5], row[3]),  # the theme's display order
        "agency": lambda row: (row[6], row[3]),  # by country
    }
    rows = list(dialogues.union(themes, agencies, all=True))
    return {
        kind: [FacetLabel(*row[1:4]) for row in sorted((r for r in rows if r[0] == kind), key=key)]
        for kind, key in sort_keys.items()
    }


EXPORT_COLUMNS = [
    "id",
    "dialogue",
    "title",
    "status",
    "progress",
    "due date",
    "last update",
    "overdue",
    "stale",
    "lead agencies",
    "partner agencies",
    "themes",
    "url",
]


def export_rows(query_dict):
    """One dict per commitment the list would show for this query string, every page (3 queries).

    Plain tuples rather than model instances: an export has thousands of rows.
    """
    filterset = CommitmentFilter(query_dict, queryset=Commitment.objects.all())
    if not filterset.is_valid():
        return
    matching = filterset.qs
    ids = matching.order_by().values("pk")
    agencies: dict[int, dict[str, list[str]]] = {}
    for commitment_id, role, acronym, name in (
        Participation.objects.filter(commitment__in=ids)
        .order_by("agency__country", "agency__name")
        .values_list("commitment_id", "role", "agency__acronym", "agency__name")
    ):
        agencies.setdefault(commitment_id, {Role.LEAD: [], Role.PARTNER: []})[role].append(acronym or name)
    themes: dict[int, list[str]] = {}
    for commitment_id, name in (
        Commitment.themes.through.objects.filter(commitment__in=ids)
        .order_by("theme__order", "theme__name")
        .values_list("commitment_id", "theme__name")
    ):
        themes.setdefault(commitment_id, []).append(name)
    today, cutoff = timezone.localdate(), stale_cutoff()
    labels = dict(Status.choices)
    columns = (
        "pk",
        "dialogue__name",
        "title",
        "status",
        "progress",
        "due_on",
        "last_update_on",
        "announced_on",
    )
    for pk, dialogue, title, status, progress, due_on, last_update_on, announced_on in matching.values_list(
        *columns
    ):
        roles = agencies.get(pk, {Role.LEAD: [], Role.PARTNER: []})
        yield dict(
            zip(
                EXPORT_COLUMNS,
                [
                    pk,
                    dialogue,
                    title,
                    labels[status],
                    progress,
                    due_on or "",
                    last_update_on or "",
                    "yes" if overdue(status, due_on, today) else "no",
                    "yes" if stale(status, last_update_on, announced_on, cutoff) else "no",
                    "; ".join(roles[Role.LEAD]),
                    "; ".join(roles[Role.PARTNER]),
                    "; ".join(themes.get(pk, [])),
                    "",
                ],
                strict=True,
            )
        )


# --- overview -----------------------------------------------------------------------------------


class Overview(caching.CachedPage):
    """The overview's figures, each computed only if the cached page body is missing (5 queries)."""

    @cached_property
    def themes(self):
        return theme_cards()

    @cached_property
    def attention(self):
        return attention_summary()

    @cached_property
    def attention_list(self):
        return list(attention_list())

    @cached_property
    def latest_updates(self):
        return list(latest_updates())


def theme_cards() -> list[Theme]:
    """Each theme with its commitments counted by status, share completed and mean progress (2 queries).

    Counted from the theme links grouped by (theme, status), which reads far fewer rows than
    joining every commitment to every theme and aggregating per theme.
    """
    counts, progress = Counter(), Counter()
    rows = (
        Commitment.themes.through.objects.values("theme_id", status=F("commitment__status"))
        .annotate(n=Count("pk"), progress=Sum("commitment__progress"))
        .order_by()
    )
    for row in rows:
        counts[(row["theme_id"], row["status"])] = row["n"]
        progress[row["theme_id"]] += row["progress"]
    themes = list(Theme.objects.order_by("order", "name"))
    for theme in themes:
        theme.by_status = [StatusCount(v, label, counts[(theme.pk, v)]) for v, label in Status.choices]
        theme.n = sum(s.count for s in theme.by_status)
        theme.share_completed = round(100 * counts[(theme.pk, Status.COMPLETED)] / theme.n) if theme.n else 0
        theme.mean_progress = round(progress[theme.pk] / theme.n) if theme.n else 0
    return themes


def attention_summary(today=None) -> dict[str, int]:
    """How many open commitments are overdue, at risk, off track or stale (1 query)."""
    today = today or timezone.localdate()
    cutoff = stale_cutoff(today)
    stale = Q(last_update_on__lt=cutoff) | Q(last_update_on__isnull=True, announced_on__lt=cutoff)
    return Commitment.objects.open().aggregate(
        overdue=Count("pk", filter=Q(due_on__lt=today)),
        at_risk=Count("pk", filter=Q(status=Status.AT_RISK)),
        off_track=Count("pk", filter=Q(status=Status.OFF_TRACK)),
        stale=Count("pk", filter=stale),
    )


def attention_list(limit=10):
    """The open commitments most in need of a look: off track, at risk, overdue, then stale (1 query)."""
    today = timezone.localdate()
    urgency = Case(
        When(status=Status.OFF_TRACK, then=Value(0)),
        When(status=Status.AT_RISK, then=Value(1)),
        When(due_on__lt=today, then=Value(2)),
        default=Value(3),
        output_field=IntegerField(),
    )
    return (
        Commitment.objects.needing_attention(today)
        .select_related("dialogue")
        .annotate(urgency=urgency)
        .order_by(
            "urgency", F("due_on").asc(nulls_last=True), F("last_update_on").asc(nulls_first=True), "id"
        )[:limit]
    )


def latest_updates(limit=8):
    return StatusUpdate.objects.select_related("commitment", "author").order_by("-created_at", "-id")[:limit]


# --- one commitment -----------------------------------------------------------------------------


def commitment_trail(commitment):
    """The commitment's updates with their authors, newest first (1 query)."""
    return commitment.updates.select_related("author")


def commitment_for_page():
    """A commitment with its dialogue, source, parent, themes, agencies, children and trail (5 queries)."""
    return (
        commitments_for_listing()
        .select_related("source", "parent")
        .prefetch_related(
            Prefetch("children", queryset=Commitment.objects.order_by("id")),
            Prefetch("updates", queryset=StatusUpdate.objects.select_related("author")),
        )
    )


class CommitmentPage(caching.CachedPage):
    """One commitment's page. All of it but the update form is cached until the data changes."""

    def __init__(self, pk: int):
        self.pk = pk

    def cache_parts(self) -> tuple:
        return (self.pk,)

    @cached_property
    def commitment(self) -> Commitment | None:
        """Everything the page shows (5 queries), fetched only when a cached part is missing."""
        return commitment_for_page().filter(pk=self.pk).first()

    @cached_property
    def summary(self) -> Commitment | None:
        """Title, status and progress, used outside the cached parts (the page title, the form's
        starting values), or None when there is no such commitment. No query when cached."""

        def title_status_progress():
            found = self.commitment
            if found is None:
                return False  # remembered too: None would mean "not cached"
            return Commitment(pk=found.pk, title=found.title, status=found.status, progress=found.progress)

        return (
            caching.remember(self.token, "commitment-summary", self.cache_parts(), title_status_progress)
            or None
        )

    @cached_property
    def participations_by_country(self) -> list[tuple[str, list]]:
        return participations_by_country(self.commitment)


def participations_by_country(commitment) -> list[tuple[str, list]]:
    """The commitment's agencies grouped by country, the dialogue's parties first, leads first."""
    groups: dict[str, list] = {code: [] for code in commitment.dialogue.party_codes}
    for participation in commitment.participations.all():
        groups.setdefault(participation.agency.country, []).append(participation)
    return [(country, rows) for country, rows in groups.items() if rows]


# --- agencies -----------------------------------------------------------------------------------


def agency_scorecards() -> list[Agency]:
    """Every agency with its commitments counted by role and by status (2 queries)."""
    counts = Counter()
    rows = (
        Participation.objects.values("agency_id", "role", status=F("commitment__status"))
        .annotate(n=Count("pk"))
        .order_by()
    )
    for row in rows:
        counts[(row["agency_id"], row["role"])] += row["n"]
        counts[(row["agency_id"], row["status"])] += row["n"]
    agencies = list(Agency.objects.order_by("country", "name"))
    for agency in agencies:
        agency.n_lead, agency.n_partner = counts[(agency.pk, Role.LEAD)], counts[(agency.pk, Role.PARTNER)]
        agency.by_status = [counts[(agency.pk, value)] for value in Status.values]
    return agencies


def agency_scorecard(agency, preview: int) -> dict:
    """An agency's commitments counted by role and status, and the first few of each role (5 queries).

    Only a preview is listed: an agency can be part of thousands of commitments, and the list page
    (linked with the agency filter) pages through them all.
    """
    counts = Counter()
    for row in agency.participations.values("role", "commitment__status").annotate(n=Count("pk")).order_by():
        counts[(row["role"], row["commitment__status"])] += row["n"]

    def first(role):
        return list(
            Commitment.objects.select_related("dialogue")
            .filter(participations__agency=agency, participations__role=role)
            .order_by("announced_on", "id")[:preview]
        )

    return {
        "lead": first(Role.LEAD),
        "partner": first(Role.PARTNER),
        "n_lead": sum(n for (role, _), n in counts.items() if role == Role.LEAD),
        "n_partner": sum(n for (role, _), n in counts.items() if role == Role.PARTNER),
        "counts": [
            StatusCount(value, label, counts[(Role.LEAD, value)] + counts[(Role.PARTNER, value)])
            for value, label in Status.choices
        ],
        "sub_agencies": list(agency.children.order_by("name")),
    }


def theme_summary(theme, preview: int) -> dict:
    """A theme's commitments counted by status, their mean progress, and the first few (5 queries)."""
    in_theme = Commitment.objects.filter(
        pk__in=Commitment.themes.through.objects.filter(theme=theme).values("commitment_id")
    )
    rows = in_theme.values("status").annotate(n=Count("pk"), progress=Sum("progress")).order_by()
    by_status = {r["status"]: r for r in rows}
    total = sum(r["n"] for r in rows)
    return {
        "total": total,
        "mean_progress": round(sum(r["progress"] for r in rows) / total) if total else 0,
        "counts": [
            StatusCount(value, label, by_status[value]["n"] if value in by_status else 0)
            for value, label in Status.choices
        ],
        "commitments": list(
            commitments_for_listing()
            .filter(pk__in=in_theme.values("pk"))
            .order_by("announced_on", "id")[:preview]
        ),
    }
