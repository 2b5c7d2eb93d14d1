"""Personal API tokens, and the Idempotency-Key records of API posts.

A token is shown to its owner once, when it is made, and stored only as a SHA-256 hash: it is 256
random bits from `secrets`, so a fast hash cannot be reversed or guessed, and a slow password hash
would only cost every API request time. Its short prefix (not secret) is kept in clear so a request's
token is found by one indexed lookup, and so logs and pages can name a token without revealing it.
"""

import datetime
import hashlib
import hmac
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# Every token reads "dct_<prefix>_<secret>": the fixed start lets secret scanners and people
# recognise one; the prefix finds its row.
TOKEN_START = "dct_"  # noqa: S105 (a marker, not a secret)
PREFIX_LENGTH = 8
# A new token lasts this long unless its owner picks another date, and never longer than the maximum.
DEFAULT_LIFETIME_DAYS = 90
MAX_LIFETIME_DAYS = 365
# The last-used time is written at most this often per token: not a write on every request.
LAST_USED_RESOLUTION = datetime.timedelta(minutes=1)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token_text() -> tuple[str, str]:
    """A fresh token and its prefix."""
    prefix = secrets.token_hex(PREFIX_LENGTH // 2)
    return f"{TOKEN_START}{prefix}_{secrets.token_urlsafe(32)}", prefix


def token_prefix(token: str) -> str | None:
    """The prefix a token claims, or None when it is not shaped like one of ours."""
    if not token.startswith(TOKEN_START):
        return None
    prefix, _sep, secret = token[len(TOKEN_START) :].partition("_")
    if len(prefix) != PREFIX_LENGTH or not secret:
        return None
    return prefix


class TokenScope(models.TextChoices):
    READ = "read", _("Read only")
    READ_POST = "read_post", _("Read and post updates")


class APITokenQuerySet(models.QuerySet):
    def usable(self, today: datetime.date | None = None):
        """Not revoked and not expired (a token works through the whole of its expiry day)."""
        today = today or timezone.localdate()
        return self.filter(revoked_at__isnull=True, expires_on__gte=today)


class APIToken(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=PREFIX_LENGTH, unique=True, editable=False)
    # The SHA-256 of the whole token: the token itself is never stored.
    token_hash = models.CharField(max_length=64, editable=False)
    scope = models.CharField(_("scope"), max_length=20, choices=TokenScope.choices, default=TokenScope.READ)
    expires_on = models.DateField(_("expires on"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True, editable=False)
    # SET_NULL: removing the person who revoked a token must not take the token's record with them.
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        verbose_name=_("revoked by"),
    )

    objects = APITokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self):
        return f"{self.name} ({TOKEN_START}{self.prefix}…)"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    def is_expired(self, today: datetime.date | None = None) -> bool:
        return self.expires_on < (today or timezone.localdate())

    @property
    def state(self) -> str:
        if self.is_revoked:
            return _("Revoked")
        if self.is_expired():
            return _("Expired")
        return _("Active")

    @property
    def may_post(self) -> bool:
        return self.scope == TokenScope.READ_POST

    def matches(self, token: str) -> bool:
        return hmac.compare_digest(self.token_hash, token_hash(token))


class IdempotencyKey(models.Model):
    """The answer to an API post sent with an Idempotency-Key header, replayed when the same person
    sends the same key again (tracker/api/idempotency.py). Kept for IDEMPOTENCY_KEY_HOURS."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    # What was asked (method, path and body), hashed: the same key with a different request is refused.
    request_hash = models.CharField(max_length=64)
    response_status = models.PositiveSmallIntegerField()
    # JSON as text, not a JSONField: PostgreSQL's jsonb would reorder the keys, and a replay is the
    # same bytes as the first answer.
    response_body = models.TextField()
    response_location = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_once_per_user")]
        verbose_name = _("idempotency key")
        verbose_name_plural = _("idempotency keys")

    def __str__(self):
        return self.key
