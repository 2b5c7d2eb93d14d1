"""Personal API tokens on the API: `Authorization: Bearer <token>` and nowhere else.

A token acts as its user, with that user's permissions and never more: a read-only token may use
only the safe methods (GET, HEAD, OPTIONS). Every refusal is logged on "tracker.api.tokens" with the
token's prefix (never its secret) and the client's address.
"""

import logging

from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.permissions import SAFE_METHODS

from ..models.api_token import APIToken, token_prefix
from ..services.api_tokens import api_token_record_use

logger = logging.getLogger("tracker.api.tokens")

KEYWORD = "Bearer"
# Where scripts commonly put a token by mistake; a URL ends up in logs, histories and referrers.
QUERY_STRING_NAMES = ("token", "access_token", "api_key", "apikey", "api_token", "key", "auth", "bearer")

MALFORMED = _("The Authorization header must read “Bearer ” followed by the token, nothing else.")
INVALID = _("This token is not valid: it is unknown, expired or revoked, or its user is inactive.")
IN_QUERY_STRING = _(
    "Tokens go in the Authorization header (Authorization: Bearer <token>), never in the address: "
    "remove “%(name)s” from the query string, and revoke the token if the address was shared or logged."
)
READ_ONLY = _("This token may only read: make a token with the “read and post” scope to post.")


class TokenInQueryString(exceptions.AuthenticationFailed):
    """A 401 like any failed authentication, with its own message."""


class TokenAuthentication(BaseAuthentication):
    def authenticate(self, request):
        self._refuse_query_string_token(request)
        header = get_authorization_header(request).split()
        if not header or header[0].lower() != KEYWORD.lower().encode():
            return None  # not ours: the session may still authenticate the request
        if len(header) != 2:
            self._fail(request, None, "malformed header")
            raise exceptions.AuthenticationFailed(MALFORMED)
        try:
            text = header[1].decode("ascii")
        except UnicodeDecodeError:
            self._fail(request, None, "token not ASCII")
            raise exceptions.AuthenticationFailed(MALFORMED) from None
        token = self._token(request, text)
        if request.method not in SAFE_METHODS and not token.may_post:
            # A permission refusal, not an authentication one: the token is good, its scope is not.
            raise exceptions.PermissionDenied(READ_ONLY)
        api_token_record_use(token=token)
        return token.user, token

    def authenticate_header(self, request):
        return f'{KEYWORD} realm="api"'

    def _token(self, request, text: str) -> APIToken:
        prefix = token_prefix(text)
        if prefix is None:
            self._fail(request, None, "not shaped like a token")
            raise exceptions.AuthenticationFailed(INVALID)
        token = APIToken.objects.select_related("user").filter(prefix=prefix).first()
        if token is None or not token.matches(text):
            self._fail(request, prefix, "unknown token")
        elif token.is_revoked:
            self._fail(request, prefix, "revoked token")
        elif token.is_expired():
            self._fail(request, prefix, "expired token")
        elif not token.user.is_active:
            self._fail(request, prefix, "inactive user")
        else:
            return token
        raise exceptions.AuthenticationFailed(INVALID)

    def _refuse_query_string_token(self, request) -> None:
        for name, value in request.query_params.items():
            if name.lower() in QUERY_STRING_NAMES:
                self._fail(request, token_prefix(value), f"token in the query string ({name})")
                raise TokenInQueryString(IN_QUERY_STRING % {"name": name})

    @staticmethod
    def _fail(request, prefix: str | None, why: str) -> None:
        logger.warning(
            "API token refused: %s; prefix %s; client %s; %s %s",
            why,
            prefix or "-",
            request.META.get("REMOTE_ADDR", "-"),
            request.method,
            request.path,
        )


class TokenAuthenticationScheme(OpenApiAuthenticationExtension):
    """Personal tokens in the schema: HTTP bearer authentication."""

    target_class = "tracker.api.authentication.TokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A personal API token, made on the page “API tokens” in the tracker: "
            "`Authorization: Bearer dct_…`. Never in the query string.",
        }
