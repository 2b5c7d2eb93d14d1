"""The Idempotency-Key header: a post retried with the same key lands once.

The same person sending the same key with the same request (method, path and JSON body) gets the
first answer again — same status, same body, same Location — marked `Idempotency-Replayed: true`.
The same key with a different request is refused (422): a key names one request. Only answers that
recorded something (201, or 200 for an update already recorded) are kept; a refused request can
simply be sent again. Keys are kept IDEMPOTENCY_KEY_HOURS, then forgotten (cleared as new ones come).
"""

import datetime
import hashlib
import json

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, status
from rest_framework.response import Response

from ..models.api_token import IdempotencyKey

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotency-Replayed"
IDEMPOTENCY_KEY_HOURS = 24
MAX_KEY_LENGTH = 255


class KeyReused(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = _(
        "This Idempotency-Key was already used for a different request: use a new key for a new post."
    )
    default_code = "idempotency_key_reused"


class KeyInvalid(exceptions.ValidationError):
    pass


def request_key(request) -> str | None:
    """The request's Idempotency-Key, None without one; refused when empty or too long."""
    key = request.headers.get(HEADER)
    if key is None:
        return None
    key = key.strip()
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise KeyInvalid(
            {HEADER: _("Give up to %(n)s printable characters, e.g. a UUID.") % {"n": MAX_KEY_LENGTH}}
        )
    return key


def request_fingerprint(request, data) -> str:
    canonical = json.dumps([request.method, request.path, data], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _live():
    return IdempotencyKey.objects.filter(
        created_at__gte=timezone.now() - datetime.timedelta(hours=IDEMPOTENCY_KEY_HOURS)
    )


def replay(*, user, key: str, fingerprint: str) -> Response | None:
    """The answer first given to this key, or None when the key is new. KeyReused for another request."""
    record = _live().filter(user=user, key=key).first()
    if record is None:
        return None
    if record.request_hash != fingerprint:
        raise KeyReused()
    response = Response(json.loads(record.response_body), status=record.response_status)
    if record.response_location:
        response["Location"] = record.response_location
    response[REPLAYED_HEADER] = "true"
    return response


def remember(*, user, key: str, fingerprint: str, response: Response) -> None:
    """Keep the answer under the key, in the caller's transaction. When a concurrent request stored
    the same key first this raises IntegrityError: the caller rolls back and replays that answer."""
    IdempotencyKey.objects.filter(
        created_at__lt=timezone.now() - datetime.timedelta(hours=IDEMPOTENCY_KEY_HOURS)
    ).delete()
    with transaction.atomic():
        IdempotencyKey.objects.create(
            user=user,
            key=key,
            request_hash=fingerprint,
            response_status=response.status_code,
            response_body=json.dumps(response.data, cls=DjangoJSONEncoder),
            response_location=response.get("Location", ""),
        )
