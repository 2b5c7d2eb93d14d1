"""One commitment's page."""

import datetime
import functools
from collections import Counter
from dataclasses import dataclass, field

from django.contrib.auth.models import Permission
from django.db import connection
from django.db.models import CharField, Exists, F, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property

from .. import caching, charts, formatting, links, rules
from ..compiled import CompiledQuery, ModelRows, PastDay, compile_for_day, compile_once, instances_on_day
from ..models import (
    Agency,
    Assessment,
    Commitment,
    DataStamp,
    EvidenceFile,
    Follow,
    Participation,
    Round,
    ScopeStamp,
    ScoreDisplay,
    Status,
    StatusUpdate,
    Theme,
    attached_files,
    country_name,
    is_past,
    score_display,
    with_state_of,
)
from ..templatetags.tracker_tags import written_trail
from .assessments import rounds_held
from .charts import progress_points
from .common import StatusCount


@dataclass
class Rollup:
    """Where a commitment's sub-commitments stand: how many in each status, and their mean progress."""

    total: int
    counts: list[StatusCount]  # only the statuses some child has
    mean_progress: int


def children_rollup(children) -> Rollup | None:
    """The roll-up of `children` (commitments already loaded as of the page's day), None without any."""
    children = list(children)
    if not children:
        return None
    by_status = Counter(child.status for child in children)
    return Rollup(
        total=len(children),
        counts=[StatusCount(v, label, by_status[v]) for v, label in Status.choices if by_status[v]],
        mean_progress=round(sum(child.progress for child in children) / len(children)),
    )


def commitment_trail(commitment, day: datetime.date | None = None):
    """The commitment's updates reported by `day`, withdrawn ones included (they stay in the
    record, struck through), with their authors, newest first, with their evidence files (2 queries)."""
    # With the files each carries (1 query for the whole trail, as `attached_files`): the trail lists them.
    return trail_updates(day).filter(commitment=commitment).prefetch_related(attached_files())


def trail_updates(day: datetime.date | None):
    """Status updates reported by `day`, with their authors, without their files."""
    return StatusUpdate.objects.filter(reported_on__lte=day or timezone.localdate()).select_related(
        "author", "withdrawn_by"
    )


def trail_of(commitment_id: int, day: datetime.date | None) -> list[StatusUpdate]:
    """The commitment's trail up to `day` as trail_updates reads it (its updates, newest first,
    with their authors and who withdrew them), without their files (1 query). Its SQL is compiled
    once per process (compiled_trail) and its rows made into the ORM's instances (compiled.ModelRows):
    building the query and its 50 updates and their authors through the ORM took 1.5 ms, its SQL
    0.25."""
    query, made = compiled_trail(connection.vendor)
    return made.instances(query.rows([commitment_id, day or timezone.localdate()]))


def trail_query(commitment_id: int, day: datetime.date):
    return trail_updates(day).filter(commitment_id=commitment_id)


@functools.cache
def compiled_trail(vendor: str) -> tuple[CompiledQuery, ModelRows]:
    """trail_query compiled once per database vendor (tracker/compiled.py)."""
    build = lambda values: trail_query(*values)  # noqa: E731
    return compile_once(build, [int, datetime.date]), ModelRows(build([-1, datetime.date(1900, 1, 1)]))


def attach_files(commitment_id: int, updates, assessments) -> None:
    """Give the commitment's status updates and assessments their evidence files as `attached_files`,
    as the attached_files() prefetch does, in one query for both kinds (a commitment page shows
    both): the files of the commitment's updates and assessments (a UNION of the two, by the
    commitment, not by the ids of what was read: its SQL is then the same for every page, compiled
    once, compiled_files), of which those of updates or assessments not read (later than the
    page's day) are left out."""
    by_update = {update.pk: [] for update in updates}
    by_assessment = {assessment.pk: [] for assessment in assessments}
    if not by_update and not by_assessment:
        return
    query, made = compiled_files(connection.vendor)
    for evidence in made.instances(query.rows([commitment_id])):
        if evidence.status_update_id is not None:
            by_update.get(evidence.status_update_id, []).append(evidence)
        else:
            by_assessment.get(evidence.assessment_id, []).append(evidence)
    for update in updates:
        update.attached_files = by_update[update.pk]
    for assessment in assessments:
        assessment.attached_files = by_assessment[assessment.pk]


def files_query(commitment_id: int):
    """The evidence files of the commitment's status updates and of its assessments, in their order
    (uploaded, then by id): a UNION, each part found by its own index, not an OR across two joins."""
    of_updates = EvidenceFile.objects.filter(status_update__commitment_id=commitment_id).order_by()
    of_assessments = EvidenceFile.objects.filter(assessment__commitment_id=commitment_id).order_by()
    return of_updates.union(of_assessments, all=True).order_by("uploaded_at", "id")


@functools.cache
def compiled_files(vendor: str) -> tuple[CompiledQuery, ModelRows]:
    """files_query compiled once per database vendor (tracker/compiled.py)."""
    return compile_once(lambda values: files_query(values[0]), [int]), ModelRows(files_query(-1))


def commitment_row(commitment_id: int, day: datetime.date | None) -> Commitment | None:
    """The commitment as commitment_for_page reads it on `day` (None: no such commitment then), its
    SQL compiled once per process, for today and for a past day (compiled_commitment), its row made
    into the ORM's instances (compiled.ModelRows): building the query took 0.6 ms today and 2.3 ms on
    a past day (its state's subqueries), for a row the database finds by its key."""
    past = is_past(day)
    found = instances_on_day(compiled_commitment(connection.vendor, past), commitment_id, day, past)
    return with_state_of(found[0], day) if found else None  # as Commitment.objects.as_of gives it


def commitment_query(commitment_id: int, day: datetime.date | None):
    # One row by its key: unordered, as first() would order it (and Django hashes every selected
    # column to build an ORDER BY).
    return commitment_for_page(day).filter(pk=commitment_id).order_by()[:1]


@functools.cache
def compiled_commitment(vendor: str, past: bool) -> tuple[CompiledQuery, ModelRows]:
    """commitment_query compiled once per database vendor, for today or a past day (tracker/compiled.py)."""
    return compile_for_day(commitment_query, past)


def commitment_for_page(day: datetime.date | None):
    """A commitment as it stood on `day` with its dialogue, source and parent (1 query). Its trail
    is read by trail_updates, its themes and agencies by themes_and_agencies; whether a blocker held
    it up then, and its children, with its dependencies (CommitmentPage.commitment)."""
    return Commitment.objects.as_of(day).select_related("dialogue", "source", "parent")


def themes_and_agencies(commitment_id: int) -> tuple[list[Theme], list[Participation]]:
    """The commitment's themes (by order, then name) and its agencies' participations (by role, then
    the agency's country and name), each with what the page and the API print: one query, a UNION of
    the two (themes_and_agencies_query), in place of a prefetch of each, its SQL compiled once per
    process (compiled_themes_and_agencies): building it took 0.9 ms, running it 0.05."""
    rows = compiled_themes_and_agencies(connection.vendor).dicts([commitment_id])
    found_themes, participations = [], []
    for row in rows:
        if row["kind"] == "theme":
            found_themes.append(
                Theme(pk=row["pk_"], name=row["name_"], name_fr=row["name_fr_"], slug=row["slug_"])
            )
            continue
        agency = Agency(
            pk=row["pk_"],
            name=row["name_"],
            name_fr=row["name_fr_"],
            slug=row["slug_"],
            acronym=row["acronym_"],
            country=row["country_"],
            named_in_source=bool(row["named_"]),  # SQLite answers 0 or 1
        )
        participations.append(Participation(agency=agency, role=row["role_"], country=row["country_"]))
    return found_themes, participations


def themes_and_agencies_query(commitment_id: int):
    """The UNION themes_and_agencies reads: a row for each theme, then each participation."""
    blank = Value("")
    themes = Commitment.themes.through.objects.filter(commitment_id=commitment_id).values(
        kind=Value("theme"),
        rank=F("theme__order"),
        role_=blank,
        country_=blank,
        name_=F("theme__name"),
        pk_=F("theme_id"),
        name_fr_=F("theme__name_fr"),
        slug_=F("theme__slug"),
        acronym_=blank,
        named_=Value(True),
    )
    agencies = Participation.objects.filter(commitment_id=commitment_id).values(
        kind=Value("agency"),
        rank=Value(0),
        role_=F("role"),
        country_=F("agency__country"),
        name_=F("agency__name"),
        pk_=F("agency_id"),
        name_fr_=F("agency__name_fr"),
        slug_=F("agency__slug"),
        acronym_=F("agency__acronym"),
        named_=F("agency__named_in_source"),
    )
    return (
        themes.order_by()
        .union(agencies.order_by(), all=True)
        .order_by("kind", "rank", "role_", "country_", "name_")
    )


@functools.cache
def compiled_themes_and_agencies(vendor: str) -> CompiledQuery:
    """themes_and_agencies_query compiled once per database vendor (tracker/compiled.py)."""
    return compile_once(lambda values: themes_and_agencies_query(values[0]), [int])


@dataclass
class ReaderState:
    """What a commitment's page reads afresh on every request, cached or not: the data's tokens (for
    its cache keys), and of the person looking, their permissions (their own and their groups', as
    Django's ModelBackend reads them) and whether they follow the commitment."""

    tokens: tuple[str, str] | None  # (token, state token), as caching.data_tokens; None: no stamp row
    own_permissions: set[str]
    group_permissions: set[str]
    following: bool
    # The structure token and the token of the commitment's own scope ("" if it never moved), which
    # today's page is filed under (caching.commitment_scope); None: no stamp row.
    scoped: tuple[str, str] | None = None


def reader_state(user_id: int, commitment_id: int) -> ReaderState:
    """The data's tokens, the person's permissions and their follow of the commitment in one query
    (reader_state_query), in place of the tokens' own, the ModelBackend's two and the Follow button's:
    never cached, it is per request. Its SQL is compiled once per process (compiled_reader_state)."""
    found = ReaderState(None, set(), set(), following=False)
    for kind, first, second in compiled_reader_state(connection.vendor).rows(
        [caching.STAMP_ID, user_id, commitment_id, caching.commitment_scope(commitment_id)]
    ):
        if kind == "tokens":
            found.tokens = (first, second)
        elif kind == "scoped":
            found.scoped = (first, second)
        elif kind == "follow":
            found.following = True
        else:
            (found.own_permissions if kind == "user" else found.group_permissions).add(f"{first}.{second}")
    return found


def reader_state_query(stamp_id: int, user_id: int, commitment_id: int, scope: str):
    """The UNION reader_state reads: the stamp's row twice ("tokens": token, state token; "scoped":
    structure token, the token of the commitment's `scope`), a row for each of the user's own
    permissions ("user") and each of their groups' ("group"), as ModelBackend selects them (app
    label, codename), and one if they follow the commitment ("follow")."""

    def permissions(kind, **held_by):
        return (
            Permission.objects.filter(**held_by)
            .order_by()
            .values(kind_=Value(kind), first_=F("content_type__app_label"), second_=F("codename"))
        )

    tokens = (
        DataStamp.objects.filter(pk=stamp_id)
        .order_by()
        .values(kind_=Value("tokens"), first_=F("token"), second_=F("state_token"))
    )
    own_scope = ScopeStamp.objects.filter(scope=scope).values("token")[:1]
    scoped = (
        DataStamp.objects.filter(pk=stamp_id)
        .order_by()
        .values(
            kind_=Value("scoped"),
            first_=F("structure_token"),
            second_=Coalesce(Subquery(own_scope), Value(""), output_field=CharField()),
        )
    )
    follow = (
        Follow.objects.filter(user_id=user_id, commitment_id=commitment_id)
        .order_by()
        .values(kind_=Value("follow"), first_=Value(""), second_=Value(""))
    )
    return tokens.union(
        scoped,
        permissions("user", user__id=user_id),
        permissions("group", group__user__id=user_id),
        follow,
        all=True,
    )


@functools.cache
def compiled_reader_state(vendor: str) -> CompiledQuery:
    """reader_state_query compiled once per database vendor (tracker/compiled.py)."""
    return compile_once(lambda values: reader_state_query(*values), [int, int, int, str])


class CommitmentPage(caching.CachedPage):
    """One commitment's page on `day`. All of it but the update form is cached until the data changes."""

    def __init__(self, pk: int, day: datetime.date | None = None):
        self.pk = pk
        self.day = day

    def cache_parts(self) -> tuple:
        return (self.pk,)

    def prime_tokens(self, state: ReaderState) -> None:
        """Take the data's tokens the view read with the reader's state (reader_state): the page
        reads them no more. Without a stamp row the page is left to read them itself."""
        if state.tokens is not None:
            self._tokens = state.tokens
        if state.scoped is not None:
            structure, own = state.scoped
            self._own_token = caching.token_of_scopes(structure, {self.scope: own}, [self.scope])

    @cached_property
    def scope(self) -> str:
        return caching.commitment_scope(self.pk)

    @cached_property
    def _own_token(self) -> str:
        return caching.scoped_token([self.scope])

    @cached_property
    def token(self) -> str:
        """Today, the token of the commitment's own scope: its page survives writes to other
        commitments that it does not show (tracker/caching.py). On a past day, whose state is read
        from the trail, the token every write replaces."""
        return self._tokens[0] if is_past(self.day) else self._own_token

    @cached_property
    def commitment(self) -> Commitment | None:
        """Everything the page shows but the rounds (6 queries: the commitment with its dialogue,
        source and parent; its dependencies and sub-commitments; its themes and agencies; its trail;
        its assessments; the evidence files of both), fetched only when a cached part is missing.
        Besides the model's fields it carries `is_blocked`, `sub_commitments`, `theme_list`,
        `participation_list` and `trail` (the API's serializer reads them too)."""
        found = commitment_row(self.pk, self.day)
        if found is not None:
            # Blocked (its status line's flag) from the blockers the page lists anyway, by the same
            # rule (rules.is_troubling_blocker), not a subquery of the commitment's own query: that
            # subquery took about 1 ms to build for one row.
            found.is_blocked = self.dependencies.is_blocked
            found.sub_commitments = self.dependencies.children
            found.theme_list, found.participation_list = themes_and_agencies(found.pk)
            # Read on its own, not prefetched: a prefetch of one commitment's trail cost about as
            # much to build as the query to run.
            found.trail = trail_of(found.pk, self.day)
            # The trail's files and the assessments' in one query: the page lists both.
            attach_files(found.pk, found.trail, self.assessment_list)
        return found

    @cached_property
    def assessment_list(self) -> list[Assessment]:
        """The commitment's assessments by the page's day, without their files (1 query: the
        commitment's own read attaches them, with its trail's)."""
        return assessments_of(self.pk, self.day)

    @cached_property
    def _summary_and_trail(self) -> tuple[Commitment, list] | None:
        """The summary and the written trail, or None when there is no such commitment on that day.
        Kept as one entry of the cache, not two: every page that prints one prints the other, and
        each entry costs a computed page a write (pickled and compressed) and a cached one a read."""

        def summarize():
            found = self.commitment
            if found is None:
                return False  # remembered too: None would mean "not cached"
            summary = Commitment(
                pk=found.pk,
                title=found.title,
                title_fr=found.title_fr,
                status=found.status,
                progress=found.progress,
                slip_reason=found.slip_reason,
                dialogue=found.dialogue,
            )
            summary.rounds = self.assessments.rounds
            return summary, written_trail(found.trail)

        return (
            caching.remember(
                # Named anew when what it holds changes: a cache kept across a deploy never answers
                # with the old shape (the summary gained the dialogue and its rounds, then the French
                # title; then the written trail joined it).
                self.token,
                "commitment-summary-and-trail",
                (self.day, self.cache_parts()),
                summarize,
            )
            or None
        )

    @property
    def summary(self) -> Commitment | None:
        """Title, status and progress, used outside the cached parts (the page title, the update form's
        starting values), with the dialogue's parties and rounds (`rounds`, for the assessment form),
        or None when there is no such commitment on that day. No query when cached."""
        kept = self._summary_and_trail
        return kept[0] if kept else None

    @property
    def written_trail(self) -> list:
        """The trail up to the page's day as its list items (tracker_tags.written_trail), written once
        and kept with the summary: the same for everyone, so the trail of someone who may
        withdraw updates is these with their forms added (trail_entries), not the trail read and
        written again for them (2 queries and 4 ms of an editor's page served from the cache)."""
        return self._summary_and_trail[1]

    @cached_property
    def rollup(self) -> Rollup | None:
        return children_rollup(self.commitment.sub_commitments)

    @cached_property
    def progress_chart(self) -> charts.StepChart:
        """Progress over the trail up to the page's day, from the updates the page already holds."""
        commitment = self.commitment
        return charts.progress_steps(
            progress_points(commitment.trail),
            commitment.announced_on,
            self.day or timezone.localdate(),
            charts.Frame(640, 220, left=44, right=16, top=12),
        )

    @cached_property
    def participations_by_country(self) -> list[tuple[str, list]]:
        return participations_by_country(self.commitment)

    @cached_property
    def assessments(self) -> "AssessmentBoard":
        """Each party's assessment at the latest round held, and the history by round (2 queries:
        the rounds, and the assessments with the commitment's files)."""
        commitment = self.commitment  # first: its read attaches the assessments' files
        return assessment_board(commitment, self.day, assessments=self.assessment_list)

    @cached_property
    def dependencies(self) -> "Dependencies":
        """What it is blocked by, what it blocks and its sub-commitments, as they stood on the page's
        day (1 query)."""
        return dependencies(self.pk, self.day)


def participations_by_country(commitment) -> list[tuple[str, list]]:
    """The commitment's agencies (its `participation_list`, as CommitmentPage.commitment reads it) grouped by country (named, "United States"), the dialogue's parties
    first, leads first."""
    groups: dict[str, list] = {code: [] for code in commitment.dialogue.party_codes}
    for participation in commitment.participation_list:
        groups.setdefault(participation.agency.country, []).append(participation)
    return [(country_name(country), rows) for country, rows in groups.items() if rows]


# --- assessments --------------------------------------------------------------------------------


@dataclass
class PartyColumn:
    """One party's column on the page: its assessment at the latest round held (None: not assessed),
    and, when it has none there, its latest at an earlier round, for context."""

    party: str
    name: str
    latest: Assessment | None
    earlier: Assessment | None = None


@dataclass
class PartyHistory:
    """A party's assessments at one round, latest first: the first counts, the others are superseded
    (each marked `superseded`)."""

    party: str
    name: str
    assessments: list[Assessment]


@dataclass
class RoundHistory:
    round: Round
    parties: list[PartyHistory]

    @property
    def assessed(self) -> bool:
        return any(p.assessments for p in self.parties)


@dataclass
class AssessmentBoard:
    """A commitment's assessments on a day: the parties side by side at the latest round held, and
    every round's assessments, latest round first."""

    rounds: list[Round]  # the dialogue's rounds known on the day, first first (the form offers them)
    latest_round: Round | None  # the latest held by the day
    columns: list[PartyColumn] = field(default_factory=list)
    history: list[RoundHistory] = field(default_factory=list)


def commitment_assessments(commitment_id: int, day: datetime.date | None = None, with_files: bool = True):
    """Every assessment of the commitment recorded by `day` (all, for today), with its assessor, in
    the order that decides which counts (Assessment.objects.latest_first: the first for each party
    and round counts, as in selectors.latest_assessments) and their evidence files (two queries;
    one `with_files=False`, for a reader that attaches them itself)."""
    assessments = Assessment.objects.filter(commitment_id=commitment_id).select_related("assessor")
    if with_files:
        # With their evidence files (1 query for all, as `attached_files`): the history lists them.
        assessments = assessments.prefetch_related(attached_files())
    if is_past(day):
        assessments = assessments.filter(assessed_on__lte=day)
    return assessments.latest_first()


def assessments_of(commitment_id: int, day: datetime.date | None) -> list[Assessment]:
    """commitment_assessments without their files, through a query compiled once per database
    vendor, for today or a past day (tracker/compiled.py), its rows made into the ORM's instances:
    the ORM took about twice as long to build it as the database to answer."""
    past = is_past(day)
    return instances_on_day(compiled_assessments(connection.vendor, past), commitment_id, day, past)


@functools.cache
def compiled_assessments(vendor: str, past: bool) -> tuple[CompiledQuery, ModelRows]:
    return compile_for_day(lambda pk, day: commitment_assessments(pk, day, with_files=False), past)


class AssessmentWriter:
    """What the page prints of its rounds and assessments (components/_assessment.html,
    partials/_assessment_history.html), written once here as text the templates only print: each
    score's words and each date in the reader's language, each file's link and size, each round's
    name and outcome link. Through the templates' tags and filters ({% score_of %}, |date, |filesizeformat,
    get_absolute_url), the history of 4 rounds and 19 assessments took about 1.3 ms to render."""

    def __init__(self):
        self._day = formatting.date_writer("j F Y")
        self._scores: dict = {}

    @cached_property
    def _file_url(self):
        return links.id_reverser("tracker:evidence_file")  # reversed only for a page with files

    def score(self, cell) -> ScoreDisplay:
        shown = self._scores.get(cell)
        if shown is None:
            display = score_display(cell)
            shown = self._scores[cell] = ScoreDisplay(display.key, display.symbol, str(display.words))
        return shown

    def round(self, held: Round) -> None:
        held.label = str(held)
        held.held_label = self._day(held.held_on)
        held.outcome_url = reverse("tracker:source_detail", args=[held.outcome_id]) if held.outcome_id else ""

    def assessment(self, assessment: Assessment) -> None:
        assessment.assessor_name = formatting.person(assessment.assessor)
        assessment.assessed_label = self._day(assessment.assessed_on)
        assessment.assessed_iso = assessment.assessed_on.isoformat()
        assessment.shown_score = self.score(assessment.cell)
        assessment.links = assessment.evidence_links
        # Attached by the page's read (models.attach_files) or prefetched (commitment_assessments).
        assessment.files = [
            {"url": self._file_url(f.pk), "name": f.original_name, "size": filesizeformat(f.size)}
            for f in assessment.attached_files
        ]


def assessment_board(
    commitment: Commitment,
    day: datetime.date | None = None,
    rounds: list[Round] | None = None,
    assessments: list[Assessment] | None = None,
) -> AssessmentBoard:
    """The commitment's (loaded with its dialogue) assessments as they stood on `day`, with their
    evidence files (3 queries; 2 when given the dialogue's `rounds` known that day, as rounds_held
    reads them; none more when given its `assessments`, as commitment_assessments reads them)."""
    if rounds is None:
        rounds = rounds_held(commitment.dialogue_id, day)
    judged = day or timezone.localdate()
    held = [r for r in rounds if r.held_on <= judged]  # rounds_held for today includes planned ones
    rounds_by_id = {r.pk: r for r in rounds}
    by_key: dict[tuple[int, str], list[Assessment]] = {}
    writer = AssessmentWriter()
    for r in rounds:
        writer.round(r)
    if assessments is None:
        assessments = commitment_assessments(commitment.pk, day)
    for assessment in assessments:
        if assessment.round_id not in rounds_by_id:
            continue  # a round not held by a past day: it was not there to assess yet
        assessment.round = rounds_by_id[assessment.round_id]  # shown with it; no query each
        writer.assessment(assessment)
        found = by_key.setdefault((assessment.round_id, assessment.party), [])
        assessment.superseded = bool(found)  # the first of each key counts
        found.append(assessment)
    parties = [(code, country_name(code)) for code in commitment.dialogue.party_codes]
    latest_round = held[-1] if held else None
    board = AssessmentBoard(rounds=rounds, latest_round=latest_round)
    if latest_round is not None:
        board.columns = [_party_column(code, name, latest_round, held, by_key) for code, name in parties]
    # Every round held, and any other round someone has assessed already, latest first.
    assessed_rounds = {round_id for round_id, _ in by_key}
    shown = [r for r in rounds if r.held_on <= judged or r.pk in assessed_rounds]
    board.history = [
        RoundHistory(r, [PartyHistory(code, name, by_key.get((r.pk, code), [])) for code, name in parties])
        for r in reversed(shown)
    ]
    return board


def _party_column(code, name, latest_round, held, by_key) -> PartyColumn:
    counting = by_key.get((latest_round.pk, code))
    if counting:
        return PartyColumn(code, name, counting[0])
    earlier = next((by_key[(r.pk, code)][0] for r in reversed(held) if (r.pk, code) in by_key), None)
    return PartyColumn(code, name, None, earlier)


# --- dependencies -------------------------------------------------------------------------------


@dataclass
class Dependency:
    commitment: Commitment
    troubling: bool  # off track, at risk or overdue on the day: it holds up what waits on it


@dataclass
class Dependencies:
    """The commitments linked to one: what it is blocked by and what it blocks, and its
    sub-commitments (read with them: the same few columns of a few commitments, as of the day)."""

    blocked_by: list[Dependency]
    blocks: list[Dependency]
    children: list[Commitment] = field(default_factory=list)  # first first (by number)

    @property
    def is_blocked(self) -> bool:
        return any(d.troubling for d in self.blocked_by)


def dependencies(commitment_id: int, day: datetime.date | None = None) -> Dependencies:
    """The commitments `commitment_id` is blocked by and those it blocks, each as it stood on `day`
    with whether it was in trouble then (rules.is_troubling_blocker), and its sub-commitments
    announced by `day`. All three in one query (dependencies_query), its SQL compiled once per
    process (compiled_dependencies): building it through the ORM took 1.5 ms a page today and 3 ms on a
    past day, for a query the database answers in 0.05."""
    past = is_past(day)
    rows = compiled_dependencies(connection.vendor, past).dicts(
        [commitment_id, day] if past else [commitment_id]
    )
    judged = day or timezone.localdate()
    found = Dependencies(blocked_by=[], blocks=[])
    for row in rows:
        other = linked_commitment(row, day)
        if other.parent_id == commitment_id:
            found.children.append(other)
        if other.is_blocker or other.waits_on_it:
            entry = Dependency(other, rules.is_troubling_blocker(other.status, other.due_on, judged))
            (found.blocked_by if other.is_blocker else found.blocks).append(entry)
    found.children.sort(key=lambda child: child.pk)
    return found


# The names Commitment.objects.as_of gives the state (rules.STATE_*).
STATE_NAMES = (rules.STATE_STATUS, rules.STATE_PROGRESS, rules.STATE_LAST_UPDATE, rules.STATE_REASON)
# The columns dependencies_query reads of each linked commitment (the others are deferred).
LINKED_COLUMNS = (
    "pk",
    "title",
    "title_fr",
    "status",
    "progress",
    "due_on",
    "last_update_on",
    "announced_on",
    "parent_id",
)
DATE_COLUMNS = {"due_on", "last_update_on", "announced_on", rules.STATE_LAST_UPDATE}


def linked_commitment(values: dict, day: datetime.date | None) -> Commitment:
    """A row of dependencies_query as the ORM would give it: a Commitment with the columns read
    (the others deferred), its state on `day`, `is_blocker` and `waits_on_it`."""
    for name in DATE_COLUMNS & values.keys():
        # SQLite answers dates as text: the ORM's converters, which this read goes without, parse them.
        if isinstance(values[name], str):
            values[name] = datetime.date.fromisoformat(values[name])
    fields = [f.attname for f in Commitment._meta.concrete_fields if f.column in values]
    other = Commitment.from_db(connection.alias, fields, [values[f] for f in fields])
    for name in ("is_blocker", "waits_on_it", *STATE_NAMES):
        setattr(other, name, values[name])
    other.is_blocker, other.waits_on_it = bool(other.is_blocker), bool(other.waits_on_it)
    return with_state_of(other, day)


def dependencies_query(commitment_id: int, day: datetime.date | None):
    """The commitments linked to `commitment_id` as they stood on `day`: those it is blocked by
    (`is_blocker`), those it blocks (`waits_on_it`) and its children, by title."""
    links = Commitment.blocked_by.through.objects
    blockers = links.filter(from_commitment_id=commitment_id).values("to_commitment_id")
    blocked = links.filter(to_commitment_id=commitment_id).values("from_commitment_id")
    children = Commitment.objects.filter(parent_id=commitment_id).order_by().values("pk")
    return (
        Commitment.objects.as_of(day)
        # One IN over a UNION of the links and the children, not an OR of INs: PostgreSQL answered
        # the OR by reading every commitment (2 ms at 10,000 commitments, growing with them), the
        # UNION by looking the few linked ones up by their key.
        .filter(pk__in=blockers.union(blocked, children, all=True))
        .annotate(
            is_blocker=Exists(
                links.filter(from_commitment_id=commitment_id, to_commitment_id=OuterRef("pk"))
            ),
            # Not `is_blocked`: that name is the Blocked flag's ({% flags %}).
            waits_on_it=Exists(
                links.filter(from_commitment_id=OuterRef("pk"), to_commitment_id=commitment_id)
            ),
        )
        .only(*LINKED_COLUMNS)
        .order_by("title", "pk")
    )


@functools.cache
def compiled_dependencies(vendor: str, past: bool) -> CompiledQuery:
    """dependencies_query compiled once per database vendor (tracker/compiled.py), for today or for
    a past day (whose state is read from the trail: a query of its own shape)."""
    if past:
        return compile_once(lambda values: dependencies_query(values[0], values[1]), [int, PastDay])
    return compile_once(lambda values: dependencies_query(values[0], None), [int])
