"""Conditional GETs for every read: an ETag a client sends back in If-None-Match to get a bodiless
304 while nothing changed.

The tag is a digest of the data token (tracker/caching.py: replaced by every write, in the writer's
transaction), today's date (overdue and stale depend on it), the full path with its query string
and the response's language. Checking it costs the token query alone, before any work; a write of
any kind makes every tag stale at once, which is coarse but never wrong.
"""

import hashlib

from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import get_language
from rest_framework import status
from rest_framework.response import Response

from .. import caching


def read_etag(request, token: str) -> str:
    parts = (token, timezone.localdate().isoformat(), request.get_full_path(), get_language())
    return '"' + hashlib.sha256(repr(parts).encode()).hexdigest()[:32] + '"'


def etag_matches(request, etag: str) -> bool:
    sent = request.headers.get("If-None-Match", "")
    if sent.strip() == "*":
        return True
    # Weak tags match too (a proxy that compresses the body weakens it): W/"x" is "x" for a GET.
    return etag in {tag.strip().removeprefix("W/") for tag in sent.split(",")}


class ConditionalRead:
    """For API read views, which define `read()`: 304 when If-None-Match holds the current tag, else
    the read with its ETag. `data_token` is left for the read, which may key its own caches on it.

    Authentication and permissions run first (DRF's `initial`), so a 304 never tells an anonymous
    client anything."""

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        self.data_token = caching.data_token()
        self.etag = read_etag(request, self.data_token)

    def get(self, request, *args, **kwargs):
        if etag_matches(request, self.etag):
            return Response(status=status.HTTP_304_NOT_MODIFIED, headers={"ETag": self.etag})
        return self.read(request, *args, **kwargs)

    def respond(self, data) -> Response:
        return Response(data)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if response.status_code == status.HTTP_200_OK and getattr(self, "etag", None):
            response["ETag"] = self.etag
        # The same URL answers differently by language and by who asks (a 401 without a login).
        patch_vary_headers(response, ["Accept-Language", "Cookie", "Authorization"])
        response["Cache-Control"] = "private, no-cache"  # keep it, but ask every time (cheaply)
        return response
