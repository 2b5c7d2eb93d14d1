"""How many API requests one client may make: per token, per logged-in user for the session, per
address for anyone else. The rate is settings.TRACKER_API_RATE (environment TRACKER_API_RATE, e.g.
"1200/minute"); beyond it DRF answers 429 with Retry-After. Counts are kept in the default cache,
which every worker process shares."""

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

from ..models.api_token import APIToken


class APIRateThrottle(SimpleRateThrottle):
    scope = "api"

    def get_rate(self):
        # Read at each request, not at import as DRF's THROTTLE_RATES is: settings can change it.
        return settings.TRACKER_API_RATE

    def get_cache_key(self, request, view):
        if isinstance(request.auth, APIToken):
            ident = f"token-{request.auth.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"user-{request.user.pk}"
        else:
            ident = f"address-{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}
