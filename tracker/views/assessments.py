"""Posting per-side assessments from the commitment page: htmx swaps the parties' scores, the history
and a fresh form in place; without JavaScript the page is posted and reloaded."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .. import selectors, services
from ..forms import AssessmentForm, assessment_form_for
from ..models import Commitment
from ..selectors.commitment import assessment_board
from . import _detail_context, wants_fragment


@require_POST
def assessment_create(request, pk):
    if not request.user.has_perm("tracker.add_assessment"):
        raise PermissionDenied(_("Only editors can post assessments."))
    commitment = get_object_or_404(Commitment.objects.select_related("dialogue"), pk=pk)
    commitment.rounds = selectors.rounds_held(commitment.dialogue_id)  # all of them, for the form
    form = assessment_form_for(commitment, request.POST, request.FILES)
    assessment = _record(form, commitment, request.user)
    if assessment is None:
        return _refused(request, commitment, form)
    if assessment.already_recorded:
        notice = _("This assessment was already recorded: it was not added again.")
    else:
        notice = _("Assessment posted.")
    if not wants_fragment(request):
        messages.success(request, notice)
        return redirect(f"{commitment.get_absolute_url()}#assessments")
    return render(
        request,
        "tracker/partials/_assessment_posted.html",
        {
            "commitment": commitment,
            "assessment_form": assessment_form_for(commitment),
            "board": assessment_board(commitment, rounds=commitment.rounds),
            "notice": notice,
        },
    )


def _record(form: AssessmentForm, commitment, assessor):
    """The assessment recorded from a valid form, or None with the form carrying what was refused:
    the form checks most things, the service the rest (its ValidationError names the field)."""
    if not form.is_valid():
        return None
    try:
        return services.assessment_create(commitment=commitment, assessor=assessor, **form.cleaned_data)
    except ValidationError as error:
        form.add_service_errors(error)
        return None


def _refused(request, commitment, form):
    """422: the form again, with its messages and what was typed; nothing was written."""
    if wants_fragment(request):
        return render(
            request,
            "tracker/partials/_assessment_form.html",
            {"commitment": commitment, "assessment_form": form},
            status=422,
        )
    request.as_of = None  # the form is shown on today's page only
    page = selectors.CommitmentPage(commitment.pk)
    return render(
        request,
        "tracker/commitment_detail.html",
        _detail_context(request, page, assessment_form=form),
        status=422,
    )
