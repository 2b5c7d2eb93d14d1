"""What each person's weekly digest reports: of the commitments they follow, what is overdue, what
falls due soon, what slipped and what was updated in the last seven days, and what went stale in
them — grouped by dialogue.

Built for a thousand readers in one run: DigestWeek reads what is the same for everyone once (the
commitments with something to report — a superset, narrowed in Python by the rules themselves —
the week's updates, the states a week ago, the dialogues' names), then each person costs one
query: the ids of what they follow, met in Python with those commitments.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Exists, F, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from .. import rules
from ..formatting import person_name
from ..models import Commitment, Dialogue, DigestSent, DigestStatus, Follow, Status, StatusUpdate
from .common import states_on
from .follows import followed_commitment_ids

# The window a digest looks back over.
WINDOW_DAYS = 7

OVERDUE, DUE_SOON, SLIPPED, UPDATED, WENT_STALE = "overdue", "due_soon", "slipped", "updated", "went_stale"


def section_headings() -> dict[str, str]:
    """Each section's heading, in the order the email lists them."""
    return {
        OVERDUE: _("Overdue"),
        DUE_SOON: ngettext_lazy(
            "Due in the next %(days)d day", "Due in the next %(days)d days", settings.TRACKER_DUE_SOON_DAYS
        )
        % {"days": settings.TRACKER_DUE_SOON_DAYS},
        SLIPPED: _("Slipped this week"),
        UPDATED: _("New updates this week"),
        WENT_STALE: ngettext_lazy(
            "Went stale (no update for %(days)d day)",
            "Went stale (no update for %(days)d days)",
            settings.TRACKER_STALE_AFTER_DAYS,
        )
        % {"days": settings.TRACKER_STALE_AFTER_DAYS},
    }


def iso_week(day: datetime.date) -> str:
    """The ISO week `day` falls in, as DigestSent records it: 2026-W48."""
    year, week, _weekday = day.isocalendar()
    return f"{year}-W{week:02d}"


def absolute(path: str) -> str:
    """A link for an email: the site's address (TRACKER_SITE_URL) and `path`."""
    return settings.TRACKER_SITE_URL + path


@dataclass
class UpdateLine:
    reported_on: datetime.date
    status: str
    progress: int
    text: str
    author: str

    @property
    def status_label(self) -> str:
        return Status(self.status).label


@dataclass
class DigestItem:
    """One followed commitment in the email, with what the reader needs to judge it at a glance."""

    pk: int
    title: str
    dialogue_id: int
    status: str
    progress: int
    due_on: datetime.date | None
    url: str
    before: tuple[str, int] | None = None  # (status, progress) a week ago, for what slipped
    title_fr: str = ""  # shown to French readers (tracker/models/content.py)
    updates: list[UpdateLine] = field(default_factory=list)

    @property
    def status_label(self) -> str:
        return Status(self.status).label

    @property
    def before_label(self) -> str:
        return Status(self.before[0]).label if self.before else ""


@dataclass
class Section:
    key: str
    heading: str
    items: list[DigestItem]  # the first TRACKER_DIGEST_MAX_ITEMS
    more: int  # how many more there are
    more_url: str  # where the dialogue's list shows them (with what the reader does not follow)


@dataclass
class DialogueDigest:
    name: str
    slug: str
    url: str
    sections: list[Section]
    name_fr: str = ""


@dataclass
class Digest:
    user: object
    week: str
    start: datetime.date
    end: datetime.date
    dialogues: list[DialogueDigest]
    items: int  # distinct commitments reported

    @property
    def empty(self) -> bool:
        return not self.items


def digest_recipients(week: str, now: datetime.datetime | None = None):
    """The people a digest may go to this week: active, with an email address, following something,
    not unsubscribed, and without a digest for `week` already sent, refused, or being sent by
    another run right now (a claim younger than TRACKER_DIGEST_CLAIM_MINUTES). One query."""
    now = now or timezone.now()
    live_claim = now - datetime.timedelta(minutes=settings.TRACKER_DIGEST_CLAIM_MINUTES)
    done = DigestSent.objects.filter(user=OuterRef("pk"), week=week).filter(
        Q(status__in=(DigestStatus.SENT, DigestStatus.REFUSED))
        | Q(status=DigestStatus.CLAIMED, claimed_at__gte=live_claim)
    )
    return (
        get_user_model()
        .objects.filter(is_active=True, email__gt="")
        .filter(Exists(Follow.objects.filter(user=OuterRef("pk"))))
        .exclude(digest_subscription__digest_enabled=False)
        .exclude(Exists(done))
        # The language each digest is written in (Profile.language; None until the person chose one).
        .annotate(digest_language=F("profile__language"))
        .order_by("pk")
    )


class DigestWeek:
    """Everything a week's digests share, read once (4 queries); `for_user` then costs one query."""

    def __init__(self, today: datetime.date | None = None):
        self.end = today or timezone.localdate()
        self.start = self.end - datetime.timedelta(days=WINDOW_DAYS)
        self.week = iso_week(self.end)
        self.due_by = self.end + datetime.timedelta(days=settings.TRACKER_DUE_SOON_DAYS)
        # Worded once per run (in the language active when the run starts), not once per email.
        self.headings = {key: str(heading) for key, heading in section_headings().items()}

    def candidates_q(self) -> Q:
        """A superset of the commitments with something to report, as one filter over the indexed
        columns: open and due by the end of the due-soon window (overdue or due soon), an update
        reported or recorded in the window (slipped, updated), or stale now but not a week ago."""
        return (
            (rules.open_q() & Q(due_on__lte=self.due_by))
            | Q(last_update_on__gt=self.start)
            | Q(pk__in=self._recent_updates().values("commitment_id"))
            | (rules.stale_q(self.end) & ~rules.stale_q(self.start))
        )

    def _recent_updates(self):
        """The updates recorded in the last seven days (withdrawn ones do not count): "new" means new
        to the reader, so an update recorded today about last month is news."""
        since = timezone.now() - datetime.timedelta(days=WINDOW_DAYS)
        return StatusUpdate.objects.counting().filter(created_at__gte=since)

    @cached_property
    def updates(self) -> dict[int, list[UpdateLine]]:
        """The week's new updates by commitment, in trail order (1 query)."""
        by_commitment = defaultdict(list)
        rows = (
            self._recent_updates()
            .order_by("reported_on", "created_at", "id")
            .values_list(
                "commitment_id",
                "reported_on",
                "status",
                "progress",
                "text",
                "author__first_name",
                "author__last_name",
                "author__username",
            )
        )
        for commitment_id, reported_on, status, progress, text, first, last, username in rows:
            author = person_name(first, last, username)
            by_commitment[commitment_id].append(UpdateLine(reported_on, status, progress, text, author))
        return by_commitment

    @cached_property
    def before(self) -> dict:
        """The state a week ago of every commitment whose state may have changed since: those with an
        update reported in the window (1 query)."""
        return states_on(self.start, Commitment.objects.filter(last_update_on__gt=self.start))

    @cached_property
    def dialogues(self) -> dict[int, tuple[str, str, str, str]]:
        """Every dialogue's name, slug, link and French name (1 query)."""
        return {
            pk: (name, slug, absolute(reverse("tracker:dialogue_detail", args=[slug])), name_fr)
            for pk, name, slug, name_fr in Dialogue.objects.values_list("pk", "name", "slug", "name_fr")
        }

    @cached_property
    def candidates(self) -> dict[int, tuple]:
        """Every commitment with something to report this week, by id, as a row (1 query)."""
        rows = (
            Commitment.objects.as_of(None)
            .filter(self.candidates_q())
            .order_by()
            .values_list(
                "pk",
                "title",
                "dialogue_id",
                "status",
                "progress",
                "due_on",
                "last_update_on",
                "announced_on",
                "title_fr",
            )
        )
        return {row[0]: row for row in rows}

    def for_user(self, user) -> Digest:
        """`user`'s digest for the week (1 query: the ids of what they follow, met here with the
        week's candidates). An item reads the same in everyone's digest, so each is built and
        classified once per run, however many people follow it."""
        # {dialogue_id: {section: [items]}}
        grouped: dict[int, dict[str, list[DigestItem]]] = defaultdict(lambda: defaultdict(list))
        reported = 0
        for pk in followed_commitment_ids(user.pk) & self.candidates.keys():
            item, sections = self._item(pk)
            for section in sections:
                grouped[item.dialogue_id][section].append(item)
            reported += bool(sections)
        return Digest(user, self.week, self.start, self.end, self._dialogue_digests(grouped), reported)

    @cached_property
    def _items(self) -> dict:
        return {}

    def _item(self, pk: int) -> tuple[DigestItem, list[str]]:
        if pk not in self._items:
            _pk, title, dialogue_id, status, progress, due_on, last_update_on, announced_on, title_fr = (
                self.candidates[pk]
            )
            item = DigestItem(
                pk,
                title,
                dialogue_id,
                status,
                progress,
                due_on,
                absolute(reverse_commitment(pk)),
                title_fr=title_fr,
            )
            self._items[pk] = (item, self._sections_of(item, last_update_on, announced_on))
        return self._items[pk]

    def _sections_of(self, item: DigestItem, last_update_on, announced_on) -> list[str]:
        """Which sections `item` belongs to, by the rules (a commitment can be in several)."""
        sections = []
        if rules.is_overdue(item.status, item.due_on, self.end):
            sections.append(OVERDUE)
        elif item.status not in rules.CLOSED_STATUSES and item.due_on and item.due_on <= self.due_by:
            sections.append(DUE_SOON)
        then = self.before.get(item.pk)
        if then is not None:
            if rules.movement(then.status, then.progress, item.status, item.progress) == rules.SLIPPED:
                item.before = (then.status, then.progress)
                sections.append(SLIPPED)
        if item.pk in self.updates:
            item.updates = self.updates[item.pk]
            sections.append(UPDATED)
        was = then or _Unchanged(item.status, last_update_on)
        if rules.is_stale(item.status, last_update_on, announced_on, self.end) and not rules.is_stale(
            was.status, was.last_update_on, announced_on, self.start
        ):
            sections.append(WENT_STALE)
        return sections

    def _more_url(self, key: str, slug: str) -> str:
        """The dialogue's own list of a section's kind of commitment: where "…and 12 more" leads."""
        query = {
            OVERDUE: f"dialogue={slug}&due=overdue",
            DUE_SOON: f"dialogue={slug}&sort=due",
            WENT_STALE: f"dialogue={slug}&stale=1",
        }.get(key)
        if query:
            return absolute(f"{reverse('tracker:commitment_list')}?{query}")
        return absolute(f"{reverse('tracker:changes')}?dialogue={slug}&from={self.start}&to={self.end}")

    def _dialogue_digests(self, grouped) -> list[DialogueDigest]:
        """The dialogues in name order, each with its non-empty sections in the email's order."""
        limit = settings.TRACKER_DIGEST_MAX_ITEMS
        order = {
            OVERDUE: lambda i: (i.due_on, i.title),
            DUE_SOON: lambda i: (i.due_on, i.title),
        }
        digests = []
        for dialogue_id, sections in grouped.items():
            name, slug, url, name_fr = self.dialogues[dialogue_id]
            shown = []
            for key, heading in self.headings.items():
                items = sorted(sections.get(key, []), key=order.get(key, lambda i: (i.title, i.pk)))
                if items:
                    more = max(0, len(items) - limit)
                    more_url = self._more_url(key, slug) if more else ""
                    shown.append(Section(key, heading, items[:limit], more, more_url))
            digests.append(DialogueDigest(name, slug, url, shown, name_fr))
        return sorted(digests, key=lambda d: d.name)


@dataclass
class _Unchanged:
    """A commitment's state a week ago when nothing was reported since: as it stands now."""

    status: str
    last_update_on: datetime.date | None


def reverse_commitment(pk: int) -> str:
    return reverse("tracker:commitment_detail", args=[pk])
