"""The API's reads. Each goes through the selector its page uses (the list through the list page's
CommitmentBrowser and FilterSet, one commitment through CommitmentPage, the changes and the
scorecard through theirs), so a page and its API answer cannot drift apart.

Every read: a login (session or token), `?as_of=` where the page honours it, an ETag (conditional.py),
and bad input answered 400 with the field and the message (errors.py).
"""

import datetime

from django.conf import settings
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from .. import caching, selectors, timeframe
from ..filters import CommitmentFilter
from ..models import Agency, Dialogue, StatusUpdate, Theme, attached_files
from ..selectors.commitment_list import CommitmentBrowser
from ..views import commitment_link_maker
from ..views.dialogues import RoundProblem, chosen_round
from . import items, schema, serializers
from .conditional import ConditionalRead
from .pagination import Pages
from .schema import ReadSchema


def day_asked(request) -> datetime.date | None:
    """The `as_of` day (None: today), or a 400 naming the field. Today's date is today: None."""
    try:
        day = timeframe.as_of(request)
    except timeframe.DateProblem as problem:
        raise ValidationError({"as_of": [str(problem)]}) from None
    return None if day == timezone.localdate() else day


# Parameters holding a date or a number. A form sends its empty fields, and the pages read an empty
# one as "not given"; a script that sends one empty has lost a value, so the API says so.
TYPED_PARAMETERS = ("as_of", "from", "to", "since", "round", "page", "page_size")


def refuse_empty_parameters(request) -> None:
    empty = [
        name
        for name in TYPED_PARAMETERS
        if any(not value.strip() for value in request.query_params.getlist(name))
    ]
    if empty:
        raise ValidationError({name: [_("Give a value, or leave the parameter out.")] for name in empty})


def refuse_invalid_filters(filterset: CommitmentFilter) -> None:
    """A value no filter can take (a malformed slug, a status that does not exist) is a 400 naming the
    filter, as the page states it above an empty list; an unknown slug is not an error (see
    CommitmentList)."""
    if not filterset.is_valid():
        raise ValidationError({name: list(messages) for name, messages in filterset.form.errors.items()})


class Read(ConditionalRead, APIView):
    """A read: `read()` answers unless the client's copy is current (ConditionalRead)."""

    schema = ReadSchema()
    about = ""  # the operation's description in the schema (not the docstring, which is for developers)
    operation_id: str | None = None  # a list's own, where the one derived from its path would collide

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)  # authentication, permissions, throttling first
        refuse_empty_parameters(request)

    def link(self, day=None):
        return commitment_link_maker(self.request, day)

    def context(self, **extra) -> dict:
        return {"request": self.request, **extra}


class PagedRead(Read):
    pagination_class = Pages

    def paged(self, queryset, serializer_class, count=None, **extra):
        paginator = Pages()
        page = paginator.paginate_known(queryset, self.request, count)
        data = serializer_class(page, many=True, context=self.context(link=self.link())).data
        return paginator.get_paginated_response(data, **extra)


# --- dialogues, themes, agencies ----------------------------------------------------------------


@extend_schema(
    parameters=schema.PAGING,
    responses=schema.paged(serializers.DialogueSerializer),
)
class DialogueList(PagedRead):
    about = _l("Every dialogue, newest first.")
    operation_id = "dialogues_list"

    def read(self, request):
        return self.paged(
            Dialogue.objects.order_by("-announced_on", "name", "pk"), serializers.DialogueSerializer
        )


@extend_schema(responses={(200, "application/json"): serializers.DialogueSerializer, **schema.ERRORS})
class DialogueDetail(Read):
    about = _l("One dialogue, by its slug.")

    def read(self, request, slug):
        dialogue = get_object_or_404(Dialogue, slug=slug)
        return self.respond(serializers.DialogueSerializer(dialogue, context=self.context()).data)


@extend_schema(parameters=schema.PAGING, responses=schema.paged(serializers.ThemeSerializer))
class ThemeList(PagedRead):
    about = _l("Every theme (objective), in the overview's order.")
    operation_id = "themes_list"

    def read(self, request):
        themes = Theme.objects.select_related("dialogue").order_by("order", "name", "pk")
        return self.paged(themes, serializers.ThemeSerializer)


@extend_schema(responses={(200, "application/json"): serializers.ThemeSerializer, **schema.ERRORS})
class ThemeDetail(Read):
    about = _l("One theme, by its slug.")

    def read(self, request, slug):
        theme = get_object_or_404(Theme.objects.select_related("dialogue"), slug=slug)
        return self.respond(serializers.ThemeSerializer(theme, context=self.context()).data)


@extend_schema(
    parameters=schema.PAGING,
    responses=schema.paged(serializers.AgencySerializer),
)
class AgencyList(PagedRead):
    about = _l("Every agency, by country, then name.")
    operation_id = "agencies_list"

    def read(self, request):
        agencies = Agency.objects.select_related("parent").order_by("country", "name", "pk")
        return self.paged(agencies, serializers.AgencySerializer)


@extend_schema(responses={(200, "application/json"): serializers.AgencySerializer, **schema.ERRORS})
class AgencyDetail(Read):
    about = _l("One agency, by its slug.")

    def read(self, request, slug):
        agency = get_object_or_404(Agency.objects.select_related("parent"), slug=slug)
        return self.respond(serializers.AgencySerializer(agency, context=self.context()).data)


# --- commitments --------------------------------------------------------------------------------


@extend_schema(
    parameters=[*schema.COMMITMENT_FILTERS, schema.AS_OF, *schema.PAGING],
    responses=schema.paged(
        serializers.CommitmentSerializer,
        unknown=serializers.UnknownValueSerializer(
            many=True,
            help_text=_("Slugs or codes that name nothing: each matches nothing, as on the list page."),
        ),
    ),
)
class CommitmentList(PagedRead):
    about = _l(
        "The commitments, with exactly the list page's filters, sort and order. A malformed value answers 400 naming the filter; a slug or code that names nothing matches nothing and is listed in `unknown`."
    )
    """The list page's commitments, filtered, sorted and counted by the list page's own selector."""

    operation_id = "commitments_list"

    def read(self, request):
        day = day_asked(request)
        # The page of data is kept until the data changes, as the list page keeps its body: the same
        # address (query string, host for the links), language (the labels) and day answer the same.
        # A refused read raises inside: nothing is kept for it.
        parts = (request.build_absolute_uri(), get_language(), day)
        data = caching.remember(
            self.data_token, "api-commitments", parts, lambda: self.page_data(request, day)
        )
        return Response(data)

    def page_data(self, request, day) -> dict:
        """The answer's body: the page of commitments, the total and the unknown values."""
        browser = CommitmentBrowser(request.query_params, settings.TRACKER_PAGE_SIZE, day)
        browser.token = self.data_token  # read for the ETag already: no second query
        refuse_invalid_filters(browser.filterset)
        unknown = [{"field": f.name, "value": value} for f in browser.facets for value in f.unknown]
        paginator = Pages()
        # The page's commitments as values, filtered and ordered by the list's FilterSet; each item is
        # written from them as CommitmentSerializer writes it (items.py: a third of the time, saved).
        rows = browser.filterset.qs.values(*items.COLUMNS)
        page = paginator.paginate_known(rows, request, browser.total)
        data = items.commitment_items(page, day, self.link(day), request.build_absolute_uri)
        return paginator.get_paginated_response(data, unknown=unknown).data


@extend_schema(
    parameters=[schema.AS_OF],
    responses={(200, "application/json"): serializers.CommitmentDetailSerializer, **schema.ERRORS},
)
class CommitmentDetail(Read):
    about = _l(
        "One commitment as its page shows it on the day: its trail of updates (withdrawn ones included and marked), sub-commitments, blockers and assessments."
    )
    """One commitment as its page shows it on the day: trail, sub-commitments, dependencies and
    assessments."""

    def read(self, request, pk):
        day = day_asked(request)
        page = selectors.CommitmentPage(pk, day)
        commitment = page.commitment
        if commitment is None:
            if day:
                raise NotFound(_("No commitment with this number had been announced by that date."))
            raise NotFound(_("No commitment has this number."))
        commitment.dependencies = page.dependencies
        commitment.assessment_board = page.assessments
        context = self.context(link=self.link(day))
        return self.respond(serializers.CommitmentDetailSerializer(commitment, context=context).data)


@extend_schema(
    parameters=[schema.SINCE, *schema.PAGING],
    responses=schema.paged(serializers.SyncedUpdateSerializer),
)
class UpdateList(PagedRead):
    about = _l(
        "Every status update recorded at or after `since`, oldest first, for clients that keep a copy. Withdrawn updates are included and marked; a later withdrawal does not bring an update back into this list: re-read the commitment to see it."
    )
    """Every status update recorded at or after `since`, oldest first: for clients that keep a copy.
    Withdrawn ones are included and marked (a withdrawal does not move an update's recording time:
    re-read a commitment's trail to see later withdrawals)."""

    operation_id = "updates_list"

    def read(self, request):
        since = moment(request, "since")
        updates = (
            StatusUpdate.objects.filter(created_at__gte=since)
            .select_related("author")
            .prefetch_related(attached_files())
            .order_by("created_at", "id")
        )
        return self.paged(updates, serializers.SyncedUpdateSerializer)


def moment(request, name: str) -> datetime.datetime:
    """The ISO 8601 date and time in query parameter `name` (required; without a zone, the site's)."""
    values = request.query_params.getlist(name)
    text = values[0].strip() if len(values) == 1 else ""
    try:
        found = parse_datetime(text) if text else None
    except ValueError:
        found = None
    if found is None:
        raise ValidationError(
            {
                name: [
                    _(
                        "Give one date and time, ISO 8601, e.g. 2024-06-30T14:00:00Z "
                        "(a “+” in an offset must be written %2B in a URL)."
                    )
                ]
            }
        )
    if timezone.is_naive(found):
        found = timezone.make_aware(found)
    return found


# --- changes and the scorecard ------------------------------------------------------------------


def window_asked(request) -> timeframe.Window:
    """The `from`/`to` window as the changes page reads it, or a 400 naming the field at fault."""
    for name, label in (("from", _("“From”")), ("to", _("“To”"))):
        try:
            timeframe.parse_day(request, name, label)
        except timeframe.DateProblem as problem:
            raise ValidationError({name: [str(problem)]}) from None
    try:
        return timeframe.window(request)
    except timeframe.DateProblem as problem:
        raise ValidationError({"from": [str(problem)]}) from None


@extend_schema(
    parameters=[schema.FROM, schema.TO, *schema.COMMITMENT_FILTERS, *schema.PAGING],
    responses=schema.paged(
        serializers.ChangeRowSerializer,
        window=serializers.WindowSerializer(),
        kinds=serializers.KindCountSerializer(many=True),
    ),
)
class ChangeList(PagedRead):
    about = _l(
        "What changed between two days, classified as on the changes page, one row per objective and commitment; the list page's filters apply."
    )
    """What changed between two days, as the changes page classifies it; one row per objective and
    commitment (a commitment under two objectives is in both), in the page's order."""

    operation_id = "changes_list"

    def read(self, request):
        window = window_asked(request)
        changes = selectors.Changes(request.query_params, window)
        refuse_invalid_filters(changes.filterset)
        rows = [serializers.Placed(group, row) for group in changes.all_groups() for row in group.shown]
        paginator = Pages()
        page = paginator.paginate_known(rows, request)
        context = self.context(link=self.link(window.end))
        return paginator.get_paginated_response(
            serializers.ChangeRowSerializer(page, many=True, context=context).data,
            window={"from": window.start, "to": window.end},
            kinds=[{"kind": kind, "label": str(label), "count": n} for kind, label, n in changes.counts],
        )


@extend_schema(
    parameters=[schema.ROUND, schema.AS_OF, schema.THEME, schema.AGENCY],
    responses={(200, "application/json"): serializers.ScorecardSerializer, **schema.ERRORS},
)
class DialogueScorecard(Read):
    about = _l("A dialogue's commitments × parties at a round (by default the latest held), with averages.")
    """A dialogue's commitments × parties at a round (by default the latest held), as its page."""

    def read(self, request, slug):
        day = day_asked(request)
        dialogue = get_object_or_404(Dialogue, slug=slug)
        rounds = selectors.rounds_held(dialogue.pk, day)
        request.as_of = day  # chosen_round reads it, as the page's view sets it
        try:
            round_ = chosen_round(request, rounds)
        except RoundProblem as problem:
            if problem.status == 404:
                raise NotFound(str(problem)) from None
            raise ValidationError({"round": [str(problem)]}) from None
        scorecard = selectors.Scorecard(dialogue, round_, request.query_params, day)
        refuse_invalid_filters(scorecard.filterset)
        scorecard.placed_rows = [serializers.Placed(group, row) for group, row in scorecard.ordered_rows]
        context = self.context(link=self.link(day))
        return self.respond(serializers.ScorecardSerializer(scorecard, context=context).data)
