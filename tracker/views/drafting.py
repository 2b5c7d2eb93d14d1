"""From an announcement to tracked commitments: add a source (pasted or uploaded), read it on its
drafting page with the suggested passages and the bodies it names, choose a passage (by mouse, or by
keyboard word by word) and make a commitment of it. Editors only; every write checks the permission
here and CSRF. The quote is always cut from the stored text by offsets, never taken from the browser.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from .. import drafting, services
from ..forms import CommitmentDraftForm, SourceDocumentForm
from ..models import Commitment, Dialogue, Role, Round, SourceDocument
from ..selectors.drafting import DraftingPage
from . import render_page_or_fragment

ADD_SOURCE = "tracker.add_sourcedocument"
ADD_COMMITMENT = "tracker.add_commitment"


def _require(request, permission, message):
    if not request.user.has_perm(permission):
        raise PermissionDenied(message)


@require_http_methods(["GET", "POST"])
def source_create(request):
    _require(request, ADD_SOURCE, _("Only editors can add sources."))
    if request.method == "POST":
        form = SourceDocumentForm(request.POST, request.FILES)
        if form.is_valid():
            source = form.save(commit=False)
            source._history_user = request.user
            source.save()
            for note in form.notes:
                messages.warning(request, note)
            messages.success(request, _("Source added. Choose the passages that are commitments."))
            return redirect("tracker:source_draft", pk=source.pk)
        return render(request, "tracker/source_form.html", {"form": form}, status=422)
    return render(request, "tracker/source_form.html", {"form": SourceDocumentForm()})


def _chosen(data, source):
    """The passage the request chose (None when it chose none), or the problem with it."""
    if "start" not in data and "end" not in data:
        return None, None
    try:
        return drafting.chosen_passage(source.text, data.get("start"), data.get("end")), None
    except ValidationError as error:
        return None, " ".join(error.messages)


@require_GET
def source_draft(request, pk):
    _require(request, ADD_COMMITMENT, _("Only editors can make commitments."))
    source = get_object_or_404(SourceDocument, pk=pk)
    chosen, problem = _chosen(request.GET, source)
    return _draft_page(request, source, chosen, problem)


def _draft_page(request, source, chosen, problem):
    response = render_page_or_fragment(
        request,
        "tracker/source_draft.html",
        "tracker/partials/_draft_workspace.html",
        {"source": source, "page": DraftingPage(source, chosen), "problem": problem},
    )
    if problem:
        response.status_code = 400
    return response


@require_http_methods(["GET", "POST"])
def commitment_draft(request, pk):
    """The form that makes a commitment of the passage from `start` to `end` of the source."""
    _require(request, ADD_COMMITMENT, _("Only editors can make commitments."))
    source = get_object_or_404(SourceDocument, pk=pk)
    data = request.POST if request.method == "POST" else request.GET
    chosen, problem = _chosen(data, source)
    if chosen is None:
        problem = problem or _("Choose a passage: select words in the text, or pick a suggested passage.")
        return _draft_page(request, source, None, problem)
    choice = DraftingPage(source, chosen).choice
    form = CommitmentDraftForm(
        request.POST if request.method == "POST" else None,
        named_agencies=choice.agencies,
        initial={
            "dialogue": _likely_dialogue(source),
            "title": Truncator(choice.quote[:1].upper() + choice.quote[1:]).words(12),
            "announced_on": source.published_on,
        },
    )
    if request.method == "POST" and form.is_valid():
        roles = form.agencies_by_role()
        try:
            commitment = services.commitment_create_from_source(
                source=source,
                start=chosen.start,
                end=chosen.end,
                dialogue=form.cleaned_data["dialogue"],
                title=form.cleaned_data["title"],
                description=form.cleaned_data["description"],
                announced_on=form.cleaned_data["announced_on"],
                due_on=form.cleaned_data["due_on"],
                leads=roles[Role.LEAD],
                partners=roles[Role.PARTNER],
                by=request.user,
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("Commitment made from the source's own words."))
            return redirect(commitment)
    return render(
        request,
        "tracker/commitment_draft.html",
        {
            "source": source,
            "choice": choice,
            "form": form,
            "no_dialogue": not form.fields["dialogue"].queryset.exists(),
            "add_agency_url": reverse("admin:tracker_agency_add"),
        },
        status=422 if request.method == "POST" else 200,
    )


def _likely_dialogue(source):
    """The dialogue this source belongs to, as far as the tracker knows: the one its commitments or
    rounds are of, else the only dialogue there is."""
    dialogue_id = (
        Commitment.objects.filter(source=source).values_list("dialogue_id", flat=True).first()
        or Round.objects.filter(outcome=source).values_list("dialogue_id", flat=True).first()
    )
    if dialogue_id:
        return dialogue_id
    only = list(Dialogue.objects.values_list("pk", flat=True)[:2])
    return only[0] if len(only) == 1 else None
