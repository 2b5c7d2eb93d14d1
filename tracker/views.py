"""Pages. Each view serves its full page and, for htmx requests, just the fragment it replaces.

Every view needs a login (LoginRequiredMiddleware); reading needs nothing more, writing checks the
model permission here in the view, because a fragment URL can be requested directly.
"""

import csv

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError, connection
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET, require_POST

from . import selectors, services
from .forms import StatusUpdateForm, status_update_form_for
from .models import Agency, Commitment, SourceDocument, Status, Theme
from .quotes import highlighted_segments


def wants_fragment(request) -> bool:
    """htmx asks for a fragment, except when restoring history, which needs the whole page."""
    return bool(request.htmx) and not request.htmx.history_restore_request


def render_page_or_fragment(request, page: str, fragment: str, context: dict):
    response = render(request, fragment if wants_fragment(request) else page, context)
    # The same URL answers with two bodies: caches (and the browser's back button) must keep them apart.
    patch_vary_headers(response, ["HX-Request"])
    return response


@require_GET
def overview(request):
    return render(
        request,
        "tracker/overview.html",
        {"overview": selectors.Overview(), "stale_days": settings.TRACKER_STALE_AFTER_DAYS},
    )


@require_GET
def commitment_list(request):
    browser = selectors.CommitmentBrowser(request.GET, settings.TRACKER_PAGE_SIZE)
    return render_page_or_fragment(
        request,
        "tracker/commitment_list.html",
        "tracker/partials/_results_response.html",
        {"browser": browser},
    )


@require_GET
def commitment_export(request):
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="commitments-{stamp}.csv"'
    writer = csv.writer(response)
    writer.writerow(selectors.EXPORT_COLUMNS)
    base_url = request.build_absolute_uri(reverse("tracker:commitment_list"))
    for row in selectors.export_rows(request.GET):
        row["url"] = f"{base_url}{row['id']}/"
        writer.writerow([_csv_safe(value) for value in row.values()])
    return response


def _csv_safe(value):
    """Stop a spreadsheet from running a text cell that starts like a formula: any cell can hold
    text someone typed (titles, names of dialogues, agencies and themes)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


@require_GET
def commitment_detail(request, pk):
    page = selectors.CommitmentPage(pk)
    if page.summary is None:
        raise Http404("No commitment has this number.")
    return render(request, "tracker/commitment_detail.html", _detail_context(request, page))


def _detail_context(request, page, form=None):
    can_post = request.user.has_perm("tracker.add_statusupdate")
    return {
        "page": page,
        "commitment": page.summary,
        "form": (form or status_update_form_for(page.summary)) if can_post else None,
    }


@require_POST
def statusupdate_create(request, pk):
    if not request.user.has_perm("tracker.add_statusupdate"):
        raise PermissionDenied("Only editors can post status updates.")
    commitment = get_object_or_404(Commitment, pk=pk)
    form = StatusUpdateForm(request.POST)
    if not form.is_valid():
        if wants_fragment(request):
            return render(
                request,
                "tracker/partials/_update_form.html",
                {"commitment": commitment, "form": form},
                status=422,
            )
        page = selectors.CommitmentPage(pk)
        return render(
            request, "tracker/commitment_detail.html", _detail_context(request, page, form), status=422
        )
    services.status_update_create(commitment=commitment, author=request.user, **form.cleaned_data)
    if not wants_fragment(request):
        messages.success(request, "Status update posted.")
        return redirect(commitment)
    return render(
        request,
        "tracker/partials/_update_posted.html",
        {
            "commitment": commitment,
            "form": status_update_form_for(commitment),
            "updates": selectors.commitment_trail(commitment),
        },
    )


@require_GET
def agency_list(request):
    return render(
        request,
        "tracker/agency_list.html",
        {"agencies": selectors.agency_scorecards(), "statuses": Status.choices},
    )


@require_GET
def agency_detail(request, slug):
    agency = get_object_or_404(Agency.objects.select_related("parent"), slug=slug)
    return render(
        request,
        "tracker/agency_detail.html",
        {"agency": agency, **selectors.agency_scorecard(agency, settings.TRACKER_PAGE_SIZE)},
    )


@require_GET
def theme_detail(request, slug):
    theme = get_object_or_404(Theme, slug=slug)
    return render(
        request,
        "tracker/theme_detail.html",
        {"theme": theme, **selectors.theme_summary(theme, settings.TRACKER_PAGE_SIZE)},
    )


@require_GET
def source_detail(request, pk):
    source = get_object_or_404(SourceDocument, pk=pk)
    quoted = source.commitments.only("pk", "source_id", "title", "quote").order_by("id")
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
