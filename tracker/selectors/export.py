"""The list as rows for a CSV file: every matching commitment, not one page."""

import datetime

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .. import rules
from ..filters import CommitmentFilter
from ..models import Commitment, Participation, Role, SlipReason, Status

EXPORT_COLUMNS = [
    _("id"),
    _("dialogue"),
    _("title"),
    _("status"),
    _("progress"),
    _("due date"),
    _("last update"),
    _("overdue"),
    _("stale"),
    _("reason for slippage"),
    _("blocked"),
    _("lead agencies"),
    _("partner agencies"),
    _("themes"),
    _("url"),
]
YES, NO = _("yes"), _("no")


def export_rows(query_dict, day: datetime.date | None = None):
    """One list per commitment the list would show for this query string on `day`, every page
    (3 queries). Plain tuples rather than model instances: an export has thousands of rows. The
    last cell is the commitment's id, for the caller to turn into a link."""
    filterset = CommitmentFilter(query_dict, queryset=Commitment.objects.as_of(day), day=day)
    if not filterset.is_valid():
        return
    # Whether each is blocked is a subquery of the rows' own query, not a query of its own.
    matching = filterset.qs.with_blocked(day)
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
    judged_on = day or timezone.localdate()
    # Translated once, not once per cell: an export has thousands of rows.
    labels = {value: str(label) for value, label in Status.choices}
    reasons = {"": "", **{value: str(label) for value, label in SlipReason.choices}}
    yes, no = str(YES), str(NO)
    columns = (
        "pk",
        "dialogue__name",
        "title",
        rules.STATE_STATUS,
        rules.STATE_PROGRESS,
        "due_on",
        rules.STATE_LAST_UPDATE,
        "announced_on",
        rules.STATE_REASON,
        "is_blocked",
    )
    for (
        pk,
        dialogue,
        title,
        status,
        progress,
        due_on,
        last_update_on,
        announced_on,
        reason,
        is_blocked,
    ) in matching.values_list(*columns):
        roles = agencies.get(pk, {Role.LEAD: [], Role.PARTNER: []})
        yield [
            pk,
            dialogue,
            title,
            labels[status],
            progress,
            due_on or "",
            last_update_on or "",
            yes if rules.is_overdue(status, due_on, judged_on) else no,
            yes if rules.is_stale(status, last_update_on, announced_on, judged_on) else no,
            reasons.get(reason, reason),
            yes if is_blocked else no,
            "; ".join(roles[Role.LEAD]),
            "; ".join(roles[Role.PARTNER]),
            "; ".join(themes.get(pk, [])),
            pk,
        ]
