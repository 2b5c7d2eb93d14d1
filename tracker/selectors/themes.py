"""One objective's page."""

import datetime

from django.db.models import Count, Sum

from .. import charts
from ..models import Commitment, Status
from ..rules import STATE_PROGRESS, STATE_STATUS
from .charts import theme_months
from .common import StatusCount
from .table import commitment_rows


def theme_summary(theme, preview: int, day: datetime.date | None = None) -> dict:
    """A theme's commitments on `day` counted by status, their mean progress, and the first few
    and the last 12 months of both, charted (6 queries)."""
    in_theme = Commitment.themes.through.objects.filter(theme=theme).values("commitment_id")
    rows = (
        Commitment.objects.as_of(day)
        .filter(pk__in=in_theme)
        .values(STATE_STATUS)
        .annotate(n=Count("pk"), progress=Sum(STATE_PROGRESS))
        .order_by()
    )
    by_status = {r[STATE_STATUS]: r for r in rows}
    months = theme_months(theme, day)
    total = sum(r["n"] for r in rows)
    commitments = list(
        Commitment.objects.as_of(day)
        .with_blocked(day)
        .select_related("dialogue")
        .filter(pk__in=in_theme)
        .order_by("announced_on", "id")[:preview]
    )
    return {
        "total": total,
        "mean_progress": round(sum(r["progress"] for r in rows) / total) if total else 0,
        "counts": [
            StatusCount(value, label, by_status[value]["n"] if value in by_status else 0)
            for value, label in Status.choices
        ],
        "months": months,
        "status_chart": charts.stacked_bars(months, charts.Frame(640, 230, top=22)),
        "progress_chart": charts.mean_progress_line(months, charts.Frame(640, 160)),
        "commitments": commitments,
        # As the table shows them, with their lead agencies (1 query).
        "rows": commitment_rows(commitments, day, leads=True),
    }
