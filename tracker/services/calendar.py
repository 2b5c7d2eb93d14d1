"""The secret in a person's calendar feed addresses: made when first needed, replaced on request.

A feed address carries `<key>.<signature>`: the stored random key, signed with the site's secret
key (django.core.signing, HMAC-SHA256, so SECRET_KEY_FALLBACKS keep addresses working through a key
rotation). Why signed rather than hashed: see tracker/models/calendar.py.
"""

import secrets

from django.core import signing
from django.db import IntegrityError, transaction
from django.utils import timezone

from ..models import CalendarToken

SIGNER = signing.Signer(salt="tracker.calendar-feed", sep=".")


def _new_key() -> str:
    return secrets.token_urlsafe(18)  # 144 random bits, 24 characters of [A-Za-z0-9_-]


def calendar_token_string(token: CalendarToken) -> str:
    """The secret as it appears in the feed addresses."""
    return SIGNER.sign(token.key)


def calendar_token_get_or_create(*, user) -> CalendarToken:
    """`user`'s token, made now if they have none yet (two first visits at once make one)."""
    try:
        return CalendarToken.objects.get(user=user)
    except CalendarToken.DoesNotExist:
        pass
    try:
        with transaction.atomic():
            return CalendarToken.objects.create(user=user, key=_new_key())
    except IntegrityError:
        return CalendarToken.objects.get(user=user)


@transaction.atomic
def calendar_token_reset(*, user) -> CalendarToken:
    """Give `user` a new key: every address made with the old one answers 404 from now on."""
    token, made = CalendarToken.objects.select_for_update().get_or_create(
        user=user, defaults={"key": _new_key()}
    )
    if not made:
        token.key = _new_key()
        token.made_at = timezone.now()
        token.save(update_fields=["key", "made_at"])
    return token
