"""The overview: one card per objective, what needs attention, the latest updates."""

import datetime
from collections import Counter

from django.db.models import Case, Count, F, IntegerField, Q, Sum, Value, When
from django.utils import timezone
from django.utils.functional import cached_property

from .. import caching, charts, rules
from ..models import Commitment, Status, StatusUpdate, Theme, is_past, state_expressions
from ..rules import STATE_LAST_UPDATE, STATE_PROGRESS, STATE_STATUS
from .charts import status_months_by_theme
from .common import StatusCount


class Overview(caching.CachedPage):
    """The overview's figures on `day`, each computed only if the cached page body is missing
    (5 queries)."""

    def __init__(self, day: datetime.date | None = None):
        self.day = day

    @cached_property
    def themes(self):
        return theme_cards(self.day)

    @cached_property
    def attention(self):
        return attention_summary(self.day)

    @cached_property
    def attention_list(self):
        return list(attention_list(self.day))

    @cached_property
    def latest_updates(self):
        return list(latest_updates(self.day))

    @cached_property
    def chart_themes(self) -> list[Theme]:
        """The themes in card order, for the charts (1 query): they are drawn on their own request."""
        return list(Theme.objects.order_by("order", "name"))

    @cached_property
    def status_charts(self) -> dict:
        """Each theme's small chart of its status mix over the last 12 months, by theme id (3 queries)."""
        frame = charts.Frame(240, 64, left=2, right=2, top=4, bottom=16)
        return {
            theme_id: charts.stacked_bars(months, frame)
            for theme_id, months in status_months_by_theme(self.day).items()
        }


def theme_links_as_of(day: datetime.date | None):
    """The commitment–theme links, each annotated with its commitment's state on `day` (links of
    commitments not yet announced then left out)."""
    links = Commitment.themes.through.objects.annotate(**state_expressions(day, "commitment"))
    return links.filter(commitment__announced_on__lte=day) if is_past(day) else links


def theme_cards(day: datetime.date | None = None) -> list[Theme]:
    """Each theme with its commitments counted by status, share completed and mean progress (2 queries).

    Counted from the theme links grouped by (theme, status), which reads far fewer rows than
    joining every commitment to every theme and aggregating per theme.
    """
    counts, progress = Counter(), Counter()
    rows = (
        theme_links_as_of(day)
        .values("theme_id", STATE_STATUS)
        .annotate(n=Count("pk"), progress=Sum(STATE_PROGRESS))
        .order_by()
    )
    for row in rows:
        counts[(row["theme_id"], row[STATE_STATUS])] = row["n"]
        progress[row["theme_id"]] += row["progress"]
    themes = list(Theme.objects.order_by("order", "name"))
    for theme in themes:
        theme.by_status = [StatusCount(v, label, counts[(theme.pk, v)]) for v, label in Status.choices]
        theme.n = sum(s.count for s in theme.by_status)
        theme.share_completed = round(100 * counts[(theme.pk, Status.COMPLETED)] / theme.n) if theme.n else 0
        theme.mean_progress = round(progress[theme.pk] / theme.n) if theme.n else 0
    return themes


def attention_summary(day: datetime.date | None = None) -> dict[str, int]:
    """How many open commitments are overdue, at risk, off track or stale on `day` (1 query)."""
    judged_on = day or timezone.localdate()
    return (
        Commitment.objects.as_of(day)
        .open()
        .aggregate(
            overdue=Count("pk", filter=rules.overdue_q(judged_on)),
            at_risk=Count("pk", filter=Q(**{STATE_STATUS: Status.AT_RISK})),
            off_track=Count("pk", filter=Q(**{STATE_STATUS: Status.OFF_TRACK})),
            stale=Count("pk", filter=rules.stale_q(judged_on)),
        )
    )


def attention_list(day: datetime.date | None = None, limit=10):
    """The open commitments most in need of a look on `day`: off track, at risk, overdue, then
    stale (1 query)."""
    judged_on = day or timezone.localdate()
    urgency = Case(
        When(**{STATE_STATUS: Status.OFF_TRACK}, then=Value(0)),
        When(**{STATE_STATUS: Status.AT_RISK}, then=Value(1)),
        When(due_on__lt=judged_on, then=Value(2)),
        default=Value(3),
        output_field=IntegerField(),
    )
    return (
        Commitment.objects.as_of(day)
        .needing_attention(judged_on)
        .select_related("dialogue")
        .annotate(urgency=urgency)
        .order_by(
            "urgency", F("due_on").asc(nulls_last=True), F(STATE_LAST_UPDATE).asc(nulls_first=True), "id"
        )[:limit]
    )


def latest_updates(day: datetime.date | None = None, limit=8):
    """The updates most recently recorded among those reported by `day` and not withdrawn (1 query)."""
    return (
        StatusUpdate.objects.counting()
        .filter(reported_on__lte=day or timezone.localdate())
        .select_related("commitment", "author")
        .order_by("-created_at", "-id")[:limit]
    )
