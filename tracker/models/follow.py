"""What each person follows: an agency, a theme, a dialogue or one commitment. The weekly digest,
the personal calendar feed and the header's count of news are all built from these rows
(selectors/follows.py says which commitments they cover)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .agency import Agency
from .commitment import Commitment
from .dialogue import Dialogue, Theme

# The things a person can follow, in the order the "What I follow" page lists them. Each is a
# nullable foreign key of Follow: exactly one is set on every row.
FOLLOWABLE = ("dialogue", "theme", "agency", "commitment")


class Follow(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="follows")
    # CASCADE: a follow is a preference, not part of the record; it never keeps a thing from being
    # removed (the trail's own PROTECT keys do that).
    dialogue = models.ForeignKey(
        Dialogue, on_delete=models.CASCADE, null=True, blank=True, related_name="follows"
    )
    theme = models.ForeignKey(Theme, on_delete=models.CASCADE, null=True, blank=True, related_name="follows")
    agency = models.ForeignKey(
        Agency, on_delete=models.CASCADE, null=True, blank=True, related_name="follows"
    )
    commitment = models.ForeignKey(
        Commitment, on_delete=models.CASCADE, null=True, blank=True, related_name="follows"
    )
    created_at = models.DateTimeField(_("followed since"), auto_now_add=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("follow")
        verbose_name_plural = _("follows")
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(
                        dialogue__isnull=False,
                        theme__isnull=True,
                        agency__isnull=True,
                        commitment__isnull=True,
                    )
                    | Q(
                        dialogue__isnull=True,
                        theme__isnull=False,
                        agency__isnull=True,
                        commitment__isnull=True,
                    )
                    | Q(
                        dialogue__isnull=True,
                        theme__isnull=True,
                        agency__isnull=False,
                        commitment__isnull=True,
                    )
                    | Q(
                        dialogue__isnull=True,
                        theme__isnull=True,
                        agency__isnull=True,
                        commitment__isnull=False,
                    )
                ),
                name="follow_exactly_one_target",
            ),
            *(
                models.UniqueConstraint(
                    fields=["user", kind],
                    condition=Q(**{f"{kind}__isnull": False}),
                    name=f"follow_once_{kind}",
                )
                for kind in FOLLOWABLE
            ),
        ]

    def __str__(self):
        return f"{self.user} → {self.target}"

    @property
    def kind(self) -> str:
        return next(kind for kind in FOLLOWABLE if getattr(self, f"{kind}_id") is not None)

    @property
    def target(self):
        return getattr(self, self.kind)


class FollowVisit(models.Model):
    """When a person last opened "What I follow": the header counts the status updates recorded on
    what they follow since then, and the page marks them as new."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="follow_visit"
    )
    seen_at = models.DateTimeField(_("last visit to what I follow"))

    class Meta:
        verbose_name = _("visit to what I follow")
        verbose_name_plural = _("visits to what I follow")

    def __str__(self):
        return f"{self.user} · {self.seen_at:%Y-%m-%d %H:%M}"
