"""The weekly digest's records: who wants it (DigestSubscription) and which digest went to whom
(DigestSent, one row per person and ISO week, the claim that keeps it to one email)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class DigestSubscription(models.Model):
    """A person's choice about the weekly digest. No row means the default: they receive it."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="digest_subscription"
    )
    digest_enabled = models.BooleanField(_("receives the weekly digest"), default=True)
    changed_at = models.DateTimeField(_("changed"), auto_now=True)

    class Meta:
        verbose_name = _("digest subscription")
        verbose_name_plural = _("digest subscriptions")

    def __str__(self):
        return f"{self.user}: {'on' if self.digest_enabled else 'off'}"


class DigestStatus(models.TextChoices):
    # Taken by a run that is sending it now (or died while sending: see TRACKER_DIGEST_CLAIM_MINUTES).
    CLAIMED = "claimed", _("Being sent")
    SENT = "sent", _("Sent")
    # The send failed in a way worth trying again (the server was unreachable, a temporary refusal):
    # the next run sends it.
    FAILED = "failed", _("Failed, will be retried")
    # The mail server refused the address for good (5xx): not retried this week.
    REFUSED = "refused", _("Address refused")


class DigestSent(models.Model):
    """One person's digest for one ISO week. The row is inserted *before* the email is sent: the
    unique (user, week) makes that insert the claim, so two runs (two hosts) never both send it."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="digests_sent")
    week = models.CharField(_("ISO week"), max_length=8, help_text=_("YYYY-Www, e.g. 2026-W48"))
    status = models.CharField(max_length=10, choices=DigestStatus.choices, default=DigestStatus.CLAIMED)
    address = models.EmailField(_("sent to"), blank=True)
    items = models.PositiveIntegerField(_("items reported"), default=0)
    attempts = models.PositiveSmallIntegerField(default=1)
    claimed_at = models.DateTimeField(_("claimed"))
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-week", "user_id"]
        verbose_name = _("digest sent")
        verbose_name_plural = _("digests sent")
        constraints = [
            models.UniqueConstraint(fields=["user", "week"], name="digestsent_once_per_user_week"),
            models.CheckConstraint(
                condition=Q(status__in=DigestStatus.values), name="digestsent_status_valid"
            ),
        ]
        indexes = [models.Index(fields=["week", "status"], name="digestsent_week_status")]

    def __str__(self):
        return f"{self.user} {self.week}: {self.status}"
