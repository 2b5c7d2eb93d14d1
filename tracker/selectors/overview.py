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
from .common import StatusCount, states_on


class Overview(caching.CachedPage):
    """The overview's figures on `day`, each computed only if the cached page body is missing
    (5 queries)."""

    def __init__(self, day: datetime.date | None = None):
        self.day = day

    # Today the figures are counted in SQL from the stored state. For a past day every commitment's
    # state is read once (states_on) and counted here: the same rules (rules.py), in Python, instead
    # of a trail lookup repeated in every clause of every query.

    @cached_property
    def past_states(self) -> dict:
        return states_on(self.day)

    @cached_property
    def themes(self):
        if is_past(self.day):
            return cards_from_states(self.past_states)
        return theme_cards(self.day)

    @cached_property
    def attention(self):
        if is_past(self.day):
            return attention_summary_from_states(self.past_states, self.day)
        return attention_summary(self.day)

    @cached_property
    def attention_list(self):
        if is_past(self.day):
            return attention_list_from_states(self.past_states, self.day)
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
    return cards(counts, progress)


def cards_from_states(states: dict) -> list[Theme]:
    """theme_cards, counted from states already read (2 queries: the theme links, the themes)."""
    counts, progress = Counter(), Counter()
    links = Commitment.themes.through.objects.order_by().values_list("theme_id", "commitment_id")
    for theme_id, commitment_id in links:
        state = states.get(commitment_id)
        if state is not None:
            counts[(theme_id, state.status)] += 1
            progress[theme_id] += state.progress
    return cards(counts, progress)


def cards(counts: Counter, progress: Counter) -> list[Theme]:
    """Every theme with its counts by (theme id, status) and its summed progress (1 query)."""
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


def attention_summary_from_states(states: dict, day: datetime.date) -> dict[str, int]:
    """attention_summary, counted from states already read (no query)."""
    summary = dict.fromkeys(["overdue", "at_risk", "off_track", "stale"], 0)
    for state in states.values():
        if state.status in rules.CLOSED_STATUSES:
            continue
        summary["overdue"] += rules.is_overdue(state.status, state.due_on, day)
        summary["at_risk"] += state.status == Status.AT_RISK
        summary["off_track"] += state.status == Status.OFF_TRACK
        summary["stale"] += rules.is_stale(state.status, state.last_update_on, state.announced_on, day)
    return summary


def attention_list_from_states(states: dict, day: datetime.date, limit=10) -> list[Commitment]:
    """attention_list, chosen from states already read, in the same order (1 query for the rows)."""

    def order(item):
        pk, state = item
        return (
            rules.attention_urgency(state.status, state.due_on, day),
            (state.due_on is None, state.due_on or day),  # soonest due first, none last
            (state.last_update_on is not None, state.last_update_on or day),  # never updated first
            pk,
        )

    needing = [
        (pk, state)
        for pk, state in states.items()
        if rules.needs_attention(state.status, state.due_on, state.last_update_on, state.announced_on, day)
    ]
    chosen = [pk for pk, _ in sorted(needing, key=order)[:limit]]
    rows = Commitment.objects.as_of(day).select_related("dialogue").in_bulk(chosen)
    return [rows[pk] for pk in chosen]


def latest_updates(day: datetime.date | None = None, limit=8):
    """The updates most recently recorded among those reported by `day` and not withdrawn (1 query)."""
    return (
        StatusUpdate.objects.counting()
        .filter(reported_on__lte=day or timezone.localdate())
        .select_related("commitment", "author")
        .order_by("-created_at", "-id")[:limit]
    )
