"""Pages. Each view serves its full page and, for htmx requests, just the fragment it replaces.

Every view needs a login (LoginRequiredMiddleware); reading needs nothing more, writing checks the
model permission here in the view, because a fragment URL can be requested directly.

The pages of the first capabilities live here; each later capability gets its own module beside this
one (dialogues.py: dialogues, rounds and scorecards; assessments.py: posting assessments;
evidence.py: serving evidence files).
"""

import csv
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, connection
from django.http import Http404, HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.functional import Promise, SimpleLazyObject, cached_property
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from .. import roles, selectors, services, timeframe
from ..context_processors import request_follow_state
from ..exports import xlsx
from ..forms import StatusUpdateForm, WithdrawalForm, assessment_form_for, status_update_form_for
from ..models import Agency, Commitment, SourceDocument, Status, StatusUpdate, Theme
from ..quotes import highlighted_segments
from ..rules import MOVEMENT_RULE
from ..timeframe import reads_as_of


def wants_fragment(request) -> bool:
    """htmx asks for a fragment, except when restoring history, which needs the whole page."""
    return bool(request.htmx) and not request.htmx.history_restore_request


def render_page_or_fragment(request, page: str, fragment: str, context: dict):
    response = render(request, fragment if wants_fragment(request) else page, context)
    # The same URL answers with two bodies: caches (and the browser's back button) must keep them apart.
    patch_vary_headers(response, ["HX-Request"])
    return response


def overview_of(request) -> selectors.Overview:
    """The overview the request asks for: its day, dialogue and page of dialogues (the page and its
    charts show the same cards)."""
    return selectors.Overview(request.as_of, request.GET.getlist("dialogue"), request.GET.get("page"))


@require_GET
@reads_as_of
def overview(request):
    return render(
        request,
        "tracker/overview.html",
        {
            "overview": overview_of(request),
            "stale_days": settings.TRACKER_STALE_AFTER_DAYS,
            "due_soon_days": settings.TRACKER_DUE_SOON_DAYS,
        },
    )


@require_GET
@reads_as_of
def overview_charts(request):
    """Each objective's status over the last 12 months: the overview loads it into its cards after
    the page (it costs several times the rest of the overview), and it is a page of its own
    without JavaScript."""
    return render_page_or_fragment(
        request,
        "tracker/overview_charts.html",
        "tracker/partials/_overview_charts.html",
        {"overview": overview_of(request)},
    )


@require_GET
@reads_as_of
def commitment_list(request):
    browser = selectors.CommitmentBrowser(request.GET, settings.TRACKER_PAGE_SIZE, request.as_of)
    return render_page_or_fragment(
        request,
        "tracker/commitment_list.html",
        "tracker/partials/_results_response.html",
        {"browser": browser},
    )


def csv_response(filename: str, header, rows):
    """A CSV download: the header, then every row, each text cell guarded (see _csv_safe)."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    # A byte-order mark: without it, spreadsheet programs read the file in the computer's legacy
    # encoding and garble accents and dashes ("Ã©" for "é").
    response.write("\ufeff")
    writer = csv.writer(response)
    writer.writerow([str(title) for title in header])
    for row in rows:
        writer.writerow([_csv_safe(str(value) if isinstance(value, Promise) else value) for value in row])
    return response


def commitment_link_maker(request, day=None):
    """A function giving a commitment's full link, as of `day` when given: built once, because an
    export writes thousands of them."""
    base = request.build_absolute_uri(reverse("tracker:commitment_list"))
    suffix = f"?as_of={day.isoformat()}" if day else ""
    return lambda pk: f"{base}{pk}/{suffix}"


def _linked_export_rows(request, export):
    """The export's rows with each commitment's full link in the last cell, in place of its id."""
    link = commitment_link_maker(request, request.as_of)
    for *cells, pk in export.rows():
        yield [*cells, link(pk)]


@require_GET
@reads_as_of
def commitment_export(request):
    export = selectors.CommitmentExport(request.GET, request.as_of)
    return csv_response(
        export.filename("csv"), selectors.EXPORT_COLUMNS, _linked_export_rows(request, export)
    )


@require_GET
@reads_as_of
def commitment_export_xlsx(request):
    """The same rows as commitment_export, as a spreadsheet (tracker/exports/xlsx.py)."""
    export = selectors.CommitmentExport(request.GET, request.as_of)
    content = xlsx.workbook_bytes(
        selectors.EXPORT_COLUMNS, _linked_export_rows(request, export), title=_("Commitments")
    )
    response = HttpResponse(content, content_type=xlsx.CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{export.filename("xlsx")}"'
    return response


def _csv_safe(value):
    """Stop a spreadsheet from running a text cell that starts like a formula: any cell can hold
    text someone typed (titles, names of dialogues, agencies and themes)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _window_or_problem(request):
    """The changes window the request asks for, or the 400 response that says what is wrong with it."""
    try:
        return timeframe.window(request), None
    except timeframe.DateProblem as problem:
        return None, timeframe.date_problem_response(request, problem)


@require_GET
def changes(request):
    window, problem = _window_or_problem(request)
    if problem:
        return problem
    changes = selectors.Changes(request.GET, window)
    return render_page_or_fragment(
        request,
        "tracker/changes.html",
        "tracker/partials/_changes_response.html",
        {
            "changes": changes,
            # The filter form's options, for the whole page only: a fragment leaves the form in place.
            # Read only if the form is drawn: it is cached with the page (every agency and theme is an
            # option, 3,400 of them at 100,000 commitments).
            "choices": None if wants_fragment(request) else SimpleLazyObject(lambda: changes.filter_choices),
            "movement_rule": MOVEMENT_RULE,
        },
    )


@require_GET
def changes_export(request):
    window, problem = _window_or_problem(request)
    if problem:
        return problem
    changes = selectors.Changes(request.GET, window)
    if not changes.valid:
        return render(request, "400.html", {"problem": " ".join(changes.problems)}, status=400)

    link = commitment_link_maker(request, window.end)

    def rows():
        for *cells, pk in selectors.change_csv_rows(changes):
            yield [*cells, link(pk)]

    filename = f"changes-{window.start.isoformat()}-to-{window.end.isoformat()}.csv"
    return csv_response(filename, [*selectors.CHANGES_CSV_COLUMNS, _("url")], rows())


@require_GET
@reads_as_of
def commitment_detail(request, pk):
    page = selectors.CommitmentPage(pk, request.as_of)
    # What the page reads afresh for every request, in one query: the data's tokens first (the
    # summary is cached under them), the person's permissions and their Follow button.
    page.prime_tokens(_read_reader_state(request, page))
    if page.summary is None:
        if request.as_of:
            raise Http404(_("No commitment with this number had been announced by that date."))
        raise Http404(_("No commitment has this number."))
    return render(request, "tracker/commitment_detail.html", _detail_context(request, page))


@dataclass
class TrailControls:
    """What the withdraw and restore forms on the trail need: who is looking, their CSRF token and,
    after a refused post, the message and the reason typed for that update."""

    user: object
    csrf_token: str
    errors: dict = field(default_factory=dict)
    reason: str = ""

    def allows(self, update) -> bool:
        return self.withdrawable(update)

    @cached_property
    def withdrawable(self):
        # The user's rights read once for the whole trail, not once per update.
        return StatusUpdate.withdrawable_by(self.user)


def may_mend_trail(user) -> bool:
    """Whether the user may withdraw some update (at least their own), so their trail carries forms."""
    return user.has_perm("tracker.add_statusupdate") or user.has_perm("tracker.withdraw_any_statusupdate")


def _read_reader_state(request, page):
    """Read the person's permissions and whether they follow the commitment, with the data's tokens,
    in one query (selectors.reader_state), primed where has_perm() and the Follow button look for
    them, unless this request read them already; returns what was read."""
    if hasattr(request, "_reader_state"):
        return request._reader_state
    state = request._reader_state = selectors.reader_state(request.user.pk, page.pk)
    roles.prime_permissions(request.user, state.own_permissions, state.group_permissions)
    request_follow_state(request).prime_one("commitment", page.pk, state.following)
    return state


def _detail_context(request, page, form=None, controls=None, assessment_form=None):
    page.prime_tokens(_read_reader_state(request, page))  # the page's own view did it already
    # Updates and assessments are posted to today's page: an as-of page shows the past, read-only.
    today = request.as_of is None
    can_post = today and request.user.has_perm("tracker.add_statusupdate")
    can_assess = today and request.user.has_perm("tracker.add_assessment")
    context = {
        "page": page,
        "commitment": page.summary,
        "form": (form or status_update_form_for(page.summary)) if can_post else None,
        # Its rounds come with the cached summary: no query for the form.
        "assessment_form": (assessment_form or assessment_form_for(page.summary)) if can_assess else None,
    }
    # The trail is written once for everyone (CommitmentPage.written_trail), so it cannot carry
    # per-user forms (nor their CSRF token): for someone who may withdraw updates, the forms on the
    # entries they may withdraw or restore are added to that cached copy as it is printed.
    if today and may_mend_trail(request.user):
        context["trail_controls"] = controls or TrailControls(request.user, get_token(request))
    return context


@require_POST
def statusupdate_create(request, pk):
    if not request.user.has_perm("tracker.add_statusupdate"):
        raise PermissionDenied("Only editors can post status updates.")
    # With whether a blocker holds it up, and its dialogue (for the review cadence): the status line
    # the answer refreshes shows that flag and the next review too.
    commitment = get_object_or_404(Commitment.objects.with_blocked(None).select_related("dialogue"), pk=pk)
    form = StatusUpdateForm(request.POST, request.FILES)
    if not form.is_valid():
        if wants_fragment(request):
            return render(
                request,
                "tracker/partials/_update_form.html",
                {"commitment": commitment, "form": form},
                status=422,
            )
        request.as_of = None  # the form is shown on today's page only
        page = selectors.CommitmentPage(pk)
        return render(
            request, "tracker/commitment_detail.html", _detail_context(request, page, form), status=422
        )
    update = services.status_update_create(commitment=commitment, author=request.user, **form.cleaned_data)
    if not wants_fragment(request):
        if update.already_recorded:
            messages.info(request, _("This update was already recorded: it was not added again."))
        else:
            messages.success(request, _("Status update posted."))
        return redirect(commitment)
    notice = _("This update was already recorded.") if update.already_recorded else _("Update posted.")
    return _trail_changed(request, commitment, notice, "tracker/partials/_update_posted.html")


def _trail_changed(request, commitment, notice, template, status=200, controls=None):
    """The htmx answer to a change of the trail: the trail, the status it decides and a fresh form."""
    return render(
        request,
        template,
        {
            "commitment": commitment,
            "form": status_update_form_for(commitment)
            if request.user.has_perm("tracker.add_statusupdate")
            else None,
            "updates": selectors.commitment_trail(commitment),
            "trail_controls": controls or TrailControls(request.user, get_token(request)),
            "notice": notice,
        },
        status=status,
    )


@require_POST
def statusupdate_withdraw(request, pk, update_pk):
    return _mend_trail(request, pk, update_pk, services.status_update_withdraw, _("Update withdrawn."))


@require_POST
def statusupdate_restore(request, pk, update_pk):
    return _mend_trail(request, pk, update_pk, services.status_update_restore, _("Update restored."))


def _mend_trail(request, pk, update_pk, service, notice):
    """Withdraw or restore one update of the commitment `pk`, with the reason the form gives."""
    if not may_mend_trail(request.user):
        raise PermissionDenied(_("Only editors can withdraw or restore status updates."))
    update = get_object_or_404(
        # The dialogue gives the review cadence the refreshed status line shows.
        StatusUpdate.objects.select_related("commitment__dialogue"),
        pk=update_pk,
        commitment_id=pk,
    )
    if not update.may_be_withdrawn_by(request.user):
        raise PermissionDenied(services.MAY_NOT_WITHDRAW)
    form = WithdrawalForm(request.POST)
    problem = None
    if form.is_valid():
        try:
            service(update=update, by=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            problem = " ".join(error.messages)
    else:
        problem = " ".join(form.errors["reason"])
    commitment = update.commitment
    if problem is None:
        commitment.refresh_from_db(fields=Commitment.DERIVED_FIELDS)
        if not wants_fragment(request):
            messages.success(request, notice)
            return redirect(f"{commitment.get_absolute_url()}#update-{update.pk}")
        return _trail_changed(request, commitment, notice, "tracker/partials/_trail_mended.html")
    # Refused: nothing was written. Show the form again, open, with the message and what was typed.
    controls = TrailControls(
        request.user, get_token(request), {update.pk: problem}, request.POST.get("reason", "")
    )
    if wants_fragment(request):
        return render(
            request,
            "tracker/partials/_trail.html",
            {"updates": selectors.commitment_trail(commitment), "trail_controls": controls},
            status=422,
        )
    request.as_of = None
    page = selectors.CommitmentPage(pk)
    return render(
        request,
        "tracker/commitment_detail.html",
        _detail_context(request, page, controls=controls),
        status=422,
    )


@require_GET
@reads_as_of
def agency_list(request):
    return render(
        request,
        "tracker/agency_list.html",
        {"countries": selectors.agency_scorecards(request.as_of), "statuses": Status.choices},
    )


@require_GET
@reads_as_of
def agency_detail(request, slug):
    agency = get_object_or_404(Agency.objects.select_related("parent"), slug=slug)
    summary = selectors.agency_scorecard(agency, settings.TRACKER_PAGE_SIZE, request.as_of)
    return render(request, "tracker/agency_detail.html", {"agency": agency, **summary})


@require_GET
@reads_as_of
def theme_detail(request, slug):
    theme = get_object_or_404(Theme, slug=slug)
    summary = selectors.theme_summary(theme, settings.TRACKER_PAGE_SIZE, request.as_of)
    return render(request, "tracker/theme_detail.html", {"theme": theme, **summary})


@require_GET
def source_detail(request, pk):
    source = get_object_or_404(SourceDocument, pk=pk)
    quoted = source.commitments.only("pk", "source_id", "title", "title_fr", "quote").order_by("id")
    segments, unplaced = highlighted_segments(source.text, quoted)
    return render(
        request, "tracker/source_detail.html", {"source": source, "segments": segments, "unplaced": unplaced}
    )


@login_not_required
@require_GET
def healthz(request):
    """Liveness and database reachability for a load balancer: no login, no data."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        return JsonResponse({"status": "unavailable"}, status=503)
    return JsonResponse({"status": "ok"})
