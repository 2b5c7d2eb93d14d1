"""Serving evidence files: to logged-in users only (LoginRequiredMiddleware: anyone else is sent to
the login page), always as a download, never from a public URL."""

from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from ..evidence import ALLOWED_KINDS, SAFE_FALLBACK_TYPE, safe_name
from ..models import EvidenceFile


@require_GET
def evidence_file(request, pk):
    """The file as an attachment under its safe name, with the content type its content was checked
    to be (or application/octet-stream), and nosniff: a browser never renders it in the app's origin
    nor guesses another type. Every logged-in account reads everything, so no further permission."""
    evidence = get_object_or_404(EvidenceFile, pk=pk)
    try:
        stream = evidence.file.open("rb")
    except (FileNotFoundError, OSError):
        raise Http404(_("This evidence file is recorded but its stored copy is missing.")) from None
    content_type = evidence.content_type if evidence.content_type in ALLOWED_KINDS else SAFE_FALLBACK_TYPE
    response = FileResponse(
        stream, as_attachment=True, filename=safe_name(evidence.original_name), content_type=content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    # A private document: no shared cache may keep a copy.
    response["Cache-Control"] = "private, no-store"
    return response
