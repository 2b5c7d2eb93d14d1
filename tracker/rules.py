"""The tracker's rules, each written once: the status vocabulary, when a commitment is overdue or
stale, and whether a change of state moved it forward or made it slip.

Each date rule exists twice, side by side: as a Q expression for the database and as a Python
function for an object already loaded. Both take the date they judge against, so the same rule
answers "today" and "as it stood on 30 June 2022". The Q expressions name the *state* fields
(`state_status`, `state_progress`, `state_last_update_on`), which `Commitment.objects.as_of(day)`
annotates: the stored columns for today, the trail's latest update reported by then for a past day.
"""

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
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


def stale_cutoff(day: datetime.date) -> datetime.date:
    """The date before which a commitment's latest update counts as stale, judged on `day`."""
    return day - datetime.timedelta(days=settings.TRACKER_STALE_AFTER_DAYS)


# --- overdue ------------------------------------------------------------------------------------


def is_overdue(status: str, due_on, day: datetime.date) -> bool:
    """Past its due date on `day` and not finished."""
    return status not in CLOSED_STATUSES and due_on is not None and due_on < day


def overdue_q(day: datetime.date) -> Q:
    """`is_overdue` for the database, over the state fields."""
    return ~Q(**{f"{STATE_STATUS}__in": CLOSED_STATUSES}) & Q(due_on__lt=day)


# --- stale --------------------------------------------------------------------------------------


def is_stale(status: str, last_update_on, announced_on, day: datetime.date) -> bool:
    """Open on `day`, and its latest update (or, with none, its announcement) older than the cutoff."""
    return status not in CLOSED_STATUSES and (last_update_on or announced_on) < stale_cutoff(day)


def stale_q(day: datetime.date) -> Q:
    """`is_stale` for the database, over the state fields."""
    cutoff = stale_cutoff(day)
    return ~Q(**{f"{STATE_STATUS}__in": CLOSED_STATUSES}) & (
        Q(**{f"{STATE_LAST_UPDATE}__lt": cutoff})
        | Q(**{f"{STATE_LAST_UPDATE}__isnull": True}, announced_on__lt=cutoff)
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
