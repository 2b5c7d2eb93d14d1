"""How many API requests one client may make: per token, per logged-in user for the session, per
address for anyone else. The rate is settings.TRACKER_API_RATE (environment TRACKER_API_RATE, e.g.
"1200/minute"); beyond it, 429 with Retry-After (DRF's Throttled, kept by the problem handler).

A fixed window counted in the default cache, which every worker process shares: one small number
per client per window. DRF's SimpleRateThrottle keeps every request's time instead, and writes that
whole list back on every request — at a benchmark's few hundred requests a second through one
token, thousands of entries rewritten to the file cache each time. The count is read and written
without a lock, so processes racing may let a few requests more through: a limit, not an account.
A client may send up to twice the rate across the boundary of two windows.
"""

import time

from django.conf import settings
from django.core.cache import cache
from rest_framework.throttling import BaseThrottle

from ..models.api_token import APIToken

PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    """ "1200/minute" as (1200, 60): requests allowed, and the window in seconds."""
    count, _slash, unit = rate.partition("/")
    return int(count), PERIODS[unit.strip()[:1].lower()]


class APIRateThrottle(BaseThrottle):
    def allow_request(self, request, view):
        # Read at each request, not at import as DRF's THROTTLE_RATES is: settings can change it.
        limit, period = parse_rate(settings.TRACKER_API_RATE)
        now = time.time()
        window = int(now // period)
        self.wait_seconds = period - (now - window * period)
        key = f"api-throttle:{self.client(request)}:{period}:{window}"
        count = cache.get(key, 0)
        if count >= limit:
            return False
        cache.set(key, count + 1, period)
        return True

    def wait(self):
        return self.wait_seconds

    def client(self, request) -> str:
        if isinstance(request.auth, APIToken):
            return f"token-{request.auth.pk}"
        if request.user and request.user.is_authenticated:
            return f"user-{request.user.pk}"
        return f"address-{self.get_ident(request)}"
