"""The list as rows for a file to take away (CSV, XLSX): every matching commitment, not one page."""

import datetime
from dataclasses import dataclass

from django.db.models import Subquery
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from .. import rules
from ..filters import CONDITIONS, CommitmentFilter
from ..models import Commitment, Participation, Role, SlipReason, Status, latest_updates


@dataclass(frozen=True)
class Column:
    """One column of the export: its header, and what its cells hold, so that a spreadsheet can
    store them as what they are (a date as a date, a number as a number, a link as a link)."""

    label: str | Promise
    kind: str = "text"  # "text", "number", "date" or "link"

    def __str__(self):
        return str(self.label)


# The one list of columns: the CSV and the XLSX write these, in this order.
EXPORT_COLUMNS = [
    Column(_("id"), "number"),
    Column(_("dialogue")),
    Column(_("title")),
    Column(_("status")),
    Column(_("progress"), "number"),
    Column(_("announced"), "date"),
    Column(_("due date"), "date"),
    Column(_("last update"), "date"),
    Column(_("overdue")),
    Column(_("stale")),
    Column(_("reason for slippage")),
    Column(_("blocked")),
    Column(_("lead agencies")),
    Column(_("partner agencies")),
    Column(_("themes")),
    Column(_("quote")),
    Column(_("last update text")),
    Column(_("last update evidence link"), "link"),
    Column(_("url"), "link"),
]
YES, NO = _("yes"), _("no")
# How much of a file name the filters may take: a name must stay short enough for every system.
FILENAME_FILTERS_MAX = 60
# How a condition's value reads in a file name where the value alone would not say it.
CONDITION_SLUGS = {("stale", "1"): "stale", ("blocked", "1"): "blocked", ("due", "soon"): "due-soon"}


class CommitmentExport:
    """The commitments the list would show for a query string on `day` (None: today), every page,
    as rows of EXPORT_COLUMNS, and the name of a file holding them."""

    def __init__(self, query_dict, day: datetime.date | None = None):
        self.day = day
        self.filterset = CommitmentFilter(query_dict, queryset=Commitment.objects.as_of(day), day=day)
        self.valid = self.filterset.is_valid()

    def rows(self):
        """One list per commitment, cells typed as their column says (None for an empty date or
        link), in 3 queries whatever the number of rows. Plain values rather than model instances:
        an export has thousands of rows. The last cell is the commitment's id, for the caller to
        turn into a link (only the caller knows the site's address)."""
        if not self.valid:
            return
        day = self.day
        latest = latest_updates(day)
        # Whether each is blocked, and its latest update's text and link, are subqueries of the rows'
        # own query, not queries of their own.
        matching = self.filterset.qs.with_blocked(day).annotate(
            last_update_text=Subquery(latest.values("text")[:1]),
            last_update_evidence=Subquery(latest.values("evidence_url")[:1]),
        )
        ids = matching.order_by().values("pk")
        agencies = _agencies_by_role(ids)
        themes = _theme_names(ids)
        judged_on = day or timezone.localdate()
        # Translated once, not once per cell: an export has thousands of rows.
        labels = {value: str(label) for value, label in Status.choices}
        reasons = {"": "", **{value: str(label) for value, label in SlipReason.choices}}
        yes, no = str(YES), str(NO)
        nobody = {Role.LEAD: [], Role.PARTNER: []}
        columns = (
            "pk",
            "dialogue__name",
            "title",
            rules.STATE_STATUS,
            rules.STATE_PROGRESS,
            "announced_on",
            "due_on",
            rules.STATE_LAST_UPDATE,
            rules.STATE_REASON,
            "is_blocked",
            "quote",
            "last_update_text",
            "last_update_evidence",
        )
        for (
            pk,
            dialogue,
            title,
            status,
            progress,
            announced_on,
            due_on,
            last_update_on,
            reason,
            is_blocked,
            quote,
            last_update_text,
            last_update_evidence,
        ) in matching.values_list(*columns):
            roles = agencies.get(pk, nobody)
            yield [
                pk,
                dialogue,
                title,
                labels[status],
                progress,
                announced_on,
                due_on,
                last_update_on,
                yes if rules.is_overdue(status, due_on, judged_on) else no,
                yes if rules.is_stale(status, last_update_on, announced_on, judged_on) else no,
                reasons.get(reason, reason),
                yes if is_blocked else no,
                "; ".join(roles[Role.LEAD]),
                "; ".join(roles[Role.PARTNER]),
                "; ".join(themes.get(pk, [])),
                quote,
                last_update_text or "",
                last_update_evidence or None,
                pk,
            ]

    def filename(self, extension: str) -> str:
        """e.g. commitments-theme-climate-status-at_risk-2026-11-26.csv: what was filtered, in
        slugs (safe in any file system and header), cut short, then the day the rows are about."""
        described = self.filters_in_words()
        day = (self.day or timezone.localdate()).isoformat()
        return f"commitments-{described}-{day}.{extension}" if described else f"commitments-{day}.{extension}"

    def filters_in_words(self) -> str:
        """The valid filters in force as one slug, in the FilterSet's order; the sort is left out
        (it filters nothing). A filter that is a condition is named by it ("overdue", "due-soon",
        "stale", "blocked")."""
        chosen = getattr(self.filterset.form, "cleaned_data", {})
        parts = []
        for name in self.filterset.form.fields:
            value = chosen.get(name)
            if name == "sort" or not value or (name == "q" and not value.strip()):
                continue
            if name in CONDITIONS:
                values = value if isinstance(value, list) else [value]
                parts.extend(CONDITION_SLUGS.get((name, v), v) for v in values)
            else:
                parts.extend([name, *(value if isinstance(value, list) else [value])])
        # slugify keeps the underscores of status codes ("at_risk") and drops anything unsafe.
        text = slugify("-".join(parts))
        if len(text) > FILENAME_FILTERS_MAX:
            text = text[:FILENAME_FILTERS_MAX].rsplit("-", 1)[0]
        return text.strip("-_")


def _agencies_by_role(ids) -> dict[int, dict[str, list[str]]]:
    """Each commitment's agencies by role, each named "NASA (US)" (acronym, or name, and country):
    the two sides of a dialogue can have agencies of the same name."""
    agencies: dict[int, dict[str, list[str]]] = {}
    for commitment_id, role, acronym, name, country in (
        Participation.objects.filter(commitment__in=ids)
        .order_by("agency__country", "agency__name")
        .values_list("commitment_id", "role", "agency__acronym", "agency__name", "agency__country")
    ):
        label = f"{acronym or name} ({country})" if country else acronym or name
        agencies.setdefault(commitment_id, {Role.LEAD: [], Role.PARTNER: []})[role].append(label)
    return agencies


def _theme_names(ids) -> dict[int, list[str]]:
    themes: dict[int, list[str]] = {}
    for commitment_id, name in (
        Commitment.themes.through.objects.filter(commitment__in=ids)
        .order_by("theme__order", "theme__name")
        .values_list("commitment_id", "theme__name")
    ):
        themes.setdefault(commitment_id, []).append(name)
    return themes


def export_rows(query_dict, day: datetime.date | None = None):
    """The rows of CommitmentExport(query_dict, day) (none when a filter cannot be used)."""
    return CommitmentExport(query_dict, day).rows()
