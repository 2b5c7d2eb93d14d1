"""Making, revoking and recording the use of personal API tokens (tracker/models/api_token.py)."""

import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..models.api_token import LAST_USED_RESOLUTION, MAX_LIFETIME_DAYS, APIToken, new_token_text, token_hash

ALREADY_REVOKED = _("This token was already revoked.")


def api_token_expiry_problem(expires_on: datetime.date, today: datetime.date | None = None) -> str | None:
    """What is wrong with an expiry date for a new token, or None."""
    today = today or timezone.localdate()
    if expires_on <= today:
        return _("Choose a day after today.")
    if expires_on > today + datetime.timedelta(days=MAX_LIFETIME_DAYS):
        return _("A token lasts at most %(days)s days: choose a day before %(limit)s.") % {
            "days": MAX_LIFETIME_DAYS,
            "limit": (today + datetime.timedelta(days=MAX_LIFETIME_DAYS + 1)).isoformat(),
        }
    return None


def api_token_create(*, user, name: str, scope: str, expires_on: datetime.date) -> tuple[APIToken, str]:
    """A new token for `user`, and its text: the only time the text exists outside the request that
    uses it. Only its hash is stored."""
    problem = api_token_expiry_problem(expires_on)
    if problem:
        raise ValidationError({"expires_on": problem})
    # The prefix is unique: on the rare clash of 32 random bits, draw again.
    for _attempt in range(5):
        text, prefix = new_token_text()
        try:
            with transaction.atomic():
                token = APIToken.objects.create(
                    user=user,
                    name=name,
                    prefix=prefix,
                    token_hash=token_hash(text),
                    scope=scope,
                    expires_on=expires_on,
                )
        except IntegrityError:
            continue
        return token, text
    raise RuntimeError("Could not draw a unique token prefix.")


def api_token_revoke(*, token: APIToken, by) -> APIToken:
    """Revoke a token at once, recording who did it. Revoking is final: a new token is made instead."""
    updated = APIToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now(), revoked_by=by
    )
    if not updated:
        raise ValidationError(ALREADY_REVOKED, code="revoked")
    token.refresh_from_db(fields=["revoked_at", "revoked_by"])
    return token


def api_token_record_use(*, token: APIToken) -> None:
    """Note that the token was used now, at most once per LAST_USED_RESOLUTION: the filter makes
    the write conditional, so a busy script costs one UPDATE a minute, not one per request."""
    now = timezone.now()
    if token.last_used_at is not None and now - token.last_used_at < LAST_USED_RESOLUTION:
        return
    APIToken.objects.filter(pk=token.pk).exclude(last_used_at__gt=now - LAST_USED_RESOLUTION).update(
        last_used_at=now
    )
    token.last_used_at = now
