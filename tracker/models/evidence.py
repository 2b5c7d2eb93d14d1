"""Files carried by a status update or an assessment as evidence: a PDF, an Office document, an
image. Their kind is checked from their content before they are stored (tracker/evidence.py); they
are stored through Django's storage API under random names and served only to logged-in users, as
attachments (views/evidence.py)."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Prefetch, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .assessment import Assessment
from .commitment import StatusUpdate


def evidence_storage_name(instance, filename: str) -> str:
    """Where a file is stored: a month's folder and a random name with the extension of its checked
    kind. The uploaded name is never part of it (it is kept apart, for display), so no name can
    reach outside the folder or overwrite another file."""
    from ..evidence import ALLOWED_KINDS

    kind = ALLOWED_KINDS.get(instance.content_type)
    extension = kind.extension if kind else ""
    return f"{timezone.now():%Y/%m}/{uuid.uuid4().hex}{extension}"


class EvidenceFile(models.Model):
    """One file attached to exactly one status update or one assessment. Added, never changed; only
    a superuser deletes one, and the deletion is in its history.

    Both links are PROTECT, as every link that carries the record: an update or an assessment with
    files cannot be deleted (the admin lists the files to delete first), so no file goes by accident."""

    file = models.FileField(_("file"), upload_to=evidence_storage_name, max_length=255)
    original_name = models.CharField(
        _("name"),
        max_length=255,
        help_text=_("The uploaded file's name, made safe; shown and downloaded as."),
    )
    content_type = models.CharField(
        _("type"), max_length=100, help_text=_("As read from the file's content.")
    )
    size = models.PositiveBigIntegerField(_("size in bytes"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="evidence_files",
        verbose_name=_("uploaded by"),
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    status_update = models.ForeignKey(
        StatusUpdate,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="evidence_files",
        verbose_name=_("status update"),
    )
    assessment = models.ForeignKey(
        Assessment,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="evidence_files",
        verbose_name=_("assessment"),
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["uploaded_at", "id"]
        verbose_name = _("evidence file")
        verbose_name_plural = _("evidence files")
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(status_update__isnull=False, assessment__isnull=True)
                    | Q(status_update__isnull=True, assessment__isnull=False)
                ),
                name="evidencefile_one_owner",
                violation_error_message=_(
                    "Choose the status update or the assessment this file is evidence for: one, not both."
                ),
            ),
        ]

    def __str__(self):
        return self.original_name

    def get_absolute_url(self):
        return reverse("tracker:evidence_file", args=[self.pk])


def attached_files() -> Prefetch:
    """For `prefetch_related` on status updates or assessments: each one's evidence files as a plain
    list, `attached_files` (oldest first). A list rather than the related manager's cache: to fill
    that cache Django builds a queryset for every update, which cost a commitment page with a trail
    of 50 updates about 2 ms even when no update carries a file."""
    return Prefetch("evidence_files", queryset=EvidenceFile.objects.all(), to_attr="attached_files")
