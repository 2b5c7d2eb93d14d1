"""The tracker's rules, each written once: the status vocabulary, when a commitment is overdue or
stale, and whether a change of state moved it forward or made it slip.

Each date rule exists twice, side by side: as a Q expression for the database and as a Python
function for an object already loaded. Both take the date they judge against, so the same rule
answers "today" and "as it stood on 30 June 2022". The Q expressions name the *state* fields
(`state_status`, `state_progress`, `state_last_update_on`), which `Commitment.objects.as_of(day)`
annotates: the stored columns for today, the trail's latest update reported by then for a past day.
"""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db import models
from django.db.models import Case, F, Q, Value, When
from django.db.models.functions import Coalesce, NullIf
from django.db.models.lookups import LessThan, LessThanOrEqual
from django.utils.translation import gettext_lazy as _


class Status(models.TextChoices):
    NOT_STARTED = "not_started", _("Not started")
    ON_TRACK = "on_track", _("On track")
    AT_RISK = "at_risk", _("At risk")
    OFF_TRACK = "off_track", _("Off track")
    COMPLETED = "completed", _("Completed")
    DISCONTINUED = "discontinued", _("Discontinued")


# A commitment in one of these states is finished: it can be neither overdue nor stale.
CLOSED_STATUSES = (Status.COMPLETED, Status.DISCONTINUED)
# Open states that need someone's attention, whatever the dates say.
TROUBLED_STATUSES = (Status.AT_RISK, Status.OFF_TRACK)

# The names `Commitment.objects.as_of(day)` gives a commitment's state on that day.
STATE_STATUS, STATE_PROGRESS, STATE_LAST_UPDATE = "state_status", "state_progress", "state_last_update_on"
STATE_REASON = "state_slip_reason"


# --- why things slip ----------------------------------------------------------------------------


class SlipReason(models.TextChoices):
    FUNDING = "funding", _("Funding")
    LEGAL = "legal", _("Legal or regulatory")
    TECHNICAL = "technical", _("Technical")
    POLITICAL = "political", _("Political priorities")
    COORDINATION = "coordination", _("Coordination between agencies")
    EXTERNAL = "external", _("External events")
    OTHER = "other", _("Other")


# An update that puts a commitment in one of these states says why, with a SlipReason.
SLIP_STATUSES = (Status.AT_RISK, Status.OFF_TRACK, Status.DISCONTINUED)

REASON_NEEDED = _(
    "Say why it slipped: choose a reason for an update that is at risk, off track or discontinued."
)
REASON_NOTE_NEEDED = _("Say in a few words what the other reason is.")


def slip_reason_problems(status: str, reason: str, note: str) -> dict:
    """What is wrong with an update's reason for slippage, by field name ({} when nothing is).

    An update at risk, off track or discontinued gives a reason; "other" comes with a note. Every
    path that records an update (page, admin, loader, import) validates the model, which asks here.
    """
    if status not in SLIP_STATUSES:
        return {}
    if not reason:
        return {"reason": REASON_NEEDED}
    if reason == SlipReason.OTHER and not (note or "").strip():
        return {"reason_note": REASON_NOTE_NEEDED}
    return {}


def stale_cutoff(day: datetime.date) -> datetime.date:
    """The date before which a commitment's latest update counts as stale, judged on `day`."""
    return day - datetime.timedelta(days=settings.TRACKER_STALE_AFTER_DAYS)


# --- overdue ------------------------------------------------------------------------------------


def is_overdue(status: str, due_on, day: datetime.date) -> bool:
    """Past its due date on `day` and not finished."""
    return status not in CLOSED_STATUSES and due_on is not None and due_on < day


def overdue_q(day: datetime.date) -> Q:
    """`is_overdue` for the database, over the state fields."""
    return open_q() & past_due_q(day)


def past_due_q(day: datetime.date) -> Q:
    """overdue_q without its test of being open: for counting among commitments already chosen
    open (repeating the test in each of the overview's counts cost a fifth of their time)."""
    return Q(due_on__lt=day)


# --- stale --------------------------------------------------------------------------------------


def is_stale(status: str, last_update_on, announced_on, day: datetime.date) -> bool:
    """Open on `day`, and its latest update (or, with none, its announcement) older than the cutoff."""
    return is_stale_before(status, last_update_on, announced_on, stale_cutoff(day))


def is_stale_before(status: str, last_update_on, announced_on, cutoff: datetime.date) -> bool:
    """`is_stale` with the day's stale_cutoff worked out once, for judging thousands of commitments
    against the same day (reading the setting costs more than the comparison)."""
    return status not in CLOSED_STATUSES and (last_update_on or announced_on) < cutoff


def stale_q(day: datetime.date) -> Q:
    """`is_stale` for the database, over the state fields: one comparison, as in Python. (Written as
    "updated before the cutoff, or never updated and announced before it", SQLite answered it by
    looking up every row the last_update_on index gave, three times as long as reading an index
    that holds both dates; and on a past day the latest update's subquery ran twice.)"""
    return open_q() & quiet_too_long_q(day)


def quiet_too_long_q(day: datetime.date) -> Q:
    """stale_q without its test of being open (see past_due_q)."""
    since = Coalesce(F(STATE_LAST_UPDATE), F("announced_on"), output_field=models.DateField())
    return Q(LessThan(since, stale_cutoff(day)))


# --- review ------------------------------------------------------------------------------------


def review_cadence_days(commitment_days: int | None, dialogue_days: int | None) -> int:
    """How many days after its latest update a commitment is due for review: its own cadence, else
    its dialogue's, else the site's (TRACKER_REVIEW_EVERY_DAYS)."""
    return commitment_days or dialogue_days or settings.TRACKER_REVIEW_EVERY_DAYS


def next_review_on(last_update_on, announced_on, cadence_days: int) -> datetime.date:
    """The day a commitment is next due for review: its latest update (or, with none, its
    announcement) plus its cadence."""
    return (last_update_on or announced_on) + datetime.timedelta(days=cadence_days)


def review_cadence_expression(commitment: str = "") -> Coalesce:
    """`review_cadence_days` for the database: the commitment's cadence, else its dialogue's, else
    the site's. `commitment` is the path to the commitment from the rows queried, as in
    models.state_expressions. NullIf reads a 0 as "none", as `or` does in Python (the admin refuses
    0, the column alone does not)."""
    prefix = f"{commitment}__" if commitment else ""
    return Coalesce(
        NullIf(F(f"{prefix}review_every_days"), Value(0)),
        NullIf(F(f"{prefix}dialogue__review_every_days"), Value(0)),
        Value(settings.TRACKER_REVIEW_EVERY_DAYS),
        output_field=models.IntegerField(),
    )


class DaysAfter(models.Func):
    """A date plus a whole number of days, as a date, in the database's own date arithmetic.

    Django's portable duration arithmetic costs a call into Python for every row on SQLite (its
    django_format_dtdelta function: 15,000 calls for the overview at 10,000 commitments) and gives a
    timestamp or a "YYYY-MM-DD HH:MM:SS" string that must be cast back to a date. SQLite's date()
    of a Julian day number plus the days, and PostgreSQL's date + integer, give the date directly
    (date(x, '+N days') gives the same date, but building and parsing its text modifier took three
    times as long: 5 ms of the overview's counts at 10,000 commitments)."""

    arity = 2
    output_field = models.DateField()

    def as_sqlite(self, compiler, connection, **extra_context):
        return self.as_sql(
            compiler,
            connection,
            template="date(julianday(%(expressions)s))",
            arg_joiner=") + (",
            **extra_context,
        )

    def as_postgresql(self, compiler, connection, **extra_context):
        return self.as_sql(
            compiler, connection, template="(%(expressions)s)", arg_joiner=" + ", **extra_context
        )


def next_review_expression(commitment: str = "") -> DaysAfter:
    """`next_review_on` for the database, over the state fields: the latest update by the day asked
    about (or the announcement) plus the cadence, as a date."""
    prefix = f"{commitment}__" if commitment else ""
    since = Coalesce(F(STATE_LAST_UPDATE), F(f"{prefix}announced_on"), output_field=models.DateField())
    return DaysAfter(since, review_cadence_expression(commitment))


# --- due soon -----------------------------------------------------------------------------------
#
# Due soon: open, and its due date falls from `day` to `day` + TRACKER_DUE_SOON_DAYS, or its next
# review falls on or before that horizon. The two dates are judged differently on purpose:
# - a due date already passed is *overdue*, its own, sharper rule (overdue_q); counting it here too
#   would make "due soon" a second, blurred list of the overdue;
# - a review date already passed still counts: a review nobody made is still to be made, and no
#   other rule names it (stale is a longer silence, judged by its own setting). A late review is
#   "due", the most urgent kind of due soon.


def due_soon_horizon(day: datetime.date) -> datetime.date:
    """The last day that counts as "soon", judged on `day`."""
    return day + datetime.timedelta(days=settings.TRACKER_DUE_SOON_DAYS)


def is_due_soon(
    status: str, due_on, last_update_on, announced_on, cadence_days: int, day: datetime.date
) -> bool:
    """Open on `day`, and due within the next TRACKER_DUE_SOON_DAYS days or due for review by then
    (a review date already passed included; a due date already passed is overdue instead).
    `cadence_days` is review_cadence_days(...) for the commitment."""
    if status in CLOSED_STATUSES:
        return False
    horizon = due_soon_horizon(day)
    due_soon = due_on is not None and day <= due_on <= horizon
    return due_soon or next_review_on(last_update_on, announced_on, cadence_days) <= horizon


def due_soon_q(day: datetime.date) -> Q:
    """`is_due_soon` for the database, over the state fields (joins the dialogue for its cadence)."""
    return open_q() & due_or_review_soon_q(day)


def due_or_review_soon_q(day: datetime.date) -> Q:
    """due_soon_q without its test of being open (see past_due_q).

    A commitment reviewed at the site's cadence (neither it nor its dialogue sets one: most of
    them) is due for review by the horizon when its latest update or announcement is on or before
    the horizon less that cadence: one comparison of a date, as stale_q makes. Only the others work
    out their next review date, from the cadence set for them (Commitment.set_review_every_days,
    the commitment's else its dialogue's, kept by tracker/cadence.py). Working out every open
    commitment's date from its cadence and its dialogue's was half of the overview's counts at
    10,000 commitments on SQLite."""
    horizon = due_soon_horizon(day)
    since = Coalesce(F(STATE_LAST_UPDATE), F("announced_on"), output_field=models.DateField())
    review_soon = Case(
        When(set_review_every_days__isnull=True, then=LessThanOrEqual(since, review_cutoff(day))),
        default=LessThanOrEqual(DaysAfter(since, F("set_review_every_days")), horizon),
        output_field=models.BooleanField(),
    )
    return Q(due_on__gte=day, due_on__lte=horizon) | Q(review_soon)


def review_cutoff(day: datetime.date) -> datetime.date:
    """The latest date of a latest update (or announcement) whose review at the site's cadence falls
    by the due-soon horizon, judged on `day`."""
    return due_soon_horizon(day) - datetime.timedelta(days=settings.TRACKER_REVIEW_EVERY_DAYS)


# --- blocked ------------------------------------------------------------------------------------


def is_troubling_blocker(status: str, due_on, day: datetime.date) -> bool:
    """A blocker holds up what depends on it when it is off track, at risk or overdue on `day`."""
    return status in TROUBLED_STATUSES or is_overdue(status, due_on, day)


def troubling_blocker_q(day: datetime.date, due_on: str = "due_on") -> Q:
    """`is_troubling_blocker` for the database, over the state fields; `due_on` names the blocker's
    due date from the rows being queried."""
    return Q(**{f"{STATE_STATUS}__in": TROUBLED_STATUSES}) | (
        ~Q(**{f"{STATE_STATUS}__in": CLOSED_STATUSES}) & Q(**{f"{due_on}__lt": day})
    )


def open_q() -> Q:
    return ~Q(**{f"{STATE_STATUS}__in": CLOSED_STATUSES})


def needs_attention_q(day: datetime.date) -> Q:
    """Open and overdue, at risk, off track or stale on `day`: what the overview asks staff to look at."""
    return open_q() & (Q(**{f"{STATE_STATUS}__in": TROUBLED_STATUSES}) | overdue_q(day) | stale_q(day))


# --- moving forward or slipping -----------------------------------------------------------------

# How good a status is, for telling forward from back. Discontinued ranks with off track: a
# commitment given up has slipped, not finished.
STATUS_RANK = {
    Status.OFF_TRACK: 0,
    Status.DISCONTINUED: 0,
    Status.AT_RISK: 1,
    Status.NOT_STARTED: 2,
    Status.ON_TRACK: 3,
    Status.COMPLETED: 4,
}

FORWARD, SLIPPED, UNCHANGED = "forward", "slipped", "unchanged"

MOVEMENT_RULE = _(
    "Moved forward: the status improved (off track or discontinued → at risk → not started → on track "
    "→ completed), or it stayed the same and progress rose. Slipped: the status worsened, or it stayed "
    "the same and progress fell. Anything else is unchanged."
)


def movement(before_status: str, before_progress: int, after_status: str, after_progress: int) -> str:
    """Whether a commitment moved forward, slipped or stayed put between two states.

    The status decides first, by STATUS_RANK; only when its rank is unchanged does progress decide.
    MOVEMENT_RULE says the same in words, for the page.
    """
    rank_before, rank_after = STATUS_RANK[before_status], STATUS_RANK[after_status]
    if rank_after != rank_before:
        return FORWARD if rank_after > rank_before else SLIPPED
    if after_progress != before_progress:
        return FORWARD if after_progress > before_progress else SLIPPED
    return UNCHANGED


def needs_attention(status: str, due_on, last_update_on, announced_on, day: datetime.date) -> bool:
    """`needs_attention_q` for an object already loaded."""
    return status not in CLOSED_STATUSES and (
        status in TROUBLED_STATUSES
        or is_overdue(status, due_on, day)
        or is_stale(status, last_update_on, announced_on, day)
    )


def attention_urgency(status: str, due_on, day: datetime.date) -> int:
    """How urgently a commitment needing attention wants a look: off track, at risk, overdue, then
    the rest (stale). The overview orders by it, in SQL today and in Python for a past day."""
    if status == Status.OFF_TRACK:
        return 0
    if status == Status.AT_RISK:
        return 1
    return 2 if due_on is not None and due_on < day else 3


# --- compliance scores --------------------------------------------------------------------------

# A scorecard cell is a score (+1, 0, −1), or one of these two answers, which no average counts.
NO_EVIDENCE, UNASSESSED = "no_evidence", "unassessed"


def score_cell(score: int | None):
    """An assessment's score as a scorecard cell: the score, or NO_EVIDENCE for "no evidence available"."""
    return NO_EVIDENCE if score is None else score


PERCENTAGE_RULE = _(
    "Averages are on the scale −1 to +1. As a percentage, (average + 1) / 2: −1 is 0 %, 0 is 50 % and "
    "+1 is 100 %. “No evidence available” and cells not assessed are left out of every average and "
    "counted beside it: some published score tables count a cell not assessed as 0; this one does not."
)


@dataclass(frozen=True)
class ScoreSummary:
    """The average of a row, column or whole scorecard, and what it leaves out."""

    mean: float | None
    scored: int
    no_evidence: int
    unassessed: int

    @property
    def percentage(self) -> float | None:
        """The average on 0..100: (mean + 1) / 2, so −1 is 0 % and +1 is 100 %."""
        return None if self.mean is None else (self.mean + 1) / 2 * 100

    @property
    def left_out(self) -> int:
        return self.no_evidence + self.unassessed


def summarize_scores(cells: Iterable) -> ScoreSummary:
    """Average the scores among `cells`, leaving out NO_EVIDENCE and UNASSESSED (counted apart)."""
    scores, no_evidence, unassessed = [], 0, 0
    for cell in cells:
        if cell == NO_EVIDENCE:
            no_evidence += 1
        elif cell == UNASSESSED:
            unassessed += 1
        else:
            scores.append(cell)
    mean = sum(scores) / len(scores) if scores else None
    return ScoreSummary(mean=mean, scored=len(scores), no_evidence=no_evidence, unassessed=unassessed)
