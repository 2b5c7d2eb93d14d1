"""Two app hosts behind a load balancer share one database and one Redis (TRACKER_CACHE_URL): a
change written through one is read through the other at once, although the other had the page
cached in Redis.

Two gunicorn instances on 127.0.0.1 stand in for the two hosts; the database is a throwaway SQLite
file both open (on PostgreSQL CI's suite runs too, but this test always builds its own database, as
a pair of real servers cannot see the test's transaction).
"""

import datetime
import http.cookiejar
import os
import re
import subprocess
import sys
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from bench.load import free_port, start_gunicorn

ROOT = Path(__file__).resolve().parent.parent
USERNAME, PASSWORD = "two-hosts-editor", "two-hosts-password-42"


@pytest.fixture
def hosts(tmp_path, redis_url):
    """Two servers, A and B, on one database and one Redis: their base URLs."""
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    env.update(
        DJANGO_DEBUG="1",
        SQLITE_PATH=str(tmp_path / "shared.sqlite3"),
        TRACKER_CACHE_URL=redis_url.rsplit("/", 1)[0] + "/1",  # db 1: the cache tests flush db 0
        TRACKER_EVIDENCE_DIR=str(tmp_path / "evidence"),
        DJANGO_SUPERUSER_USERNAME=USERNAME,
        DJANGO_SUPERUSER_PASSWORD=PASSWORD,
        DJANGO_LOG_LEVEL="ERROR",
    )
    for command in (["migrate", "--noinput"], ["load_dialogue"], ["ensure_superuser"]):
        subprocess.run(  # noqa: S603 -- a fixed command line
            [sys.executable, "manage.py", *command], cwd=ROOT, env=env, check=True, capture_output=True
        )
    servers = []
    try:
        for name in ("a", "b"):
            port = free_port()
            servers.append(
                start_gunicorn(port, tmp_path, workers=1, log_name=f"gunicorn-{name}.log", env=env)
            )
            servers[-1].url = f"http://127.0.0.1:{port}"
        yield [server.url for server in servers]
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=10)


class Browser:
    """A person's browser: one cookie jar, whichever host the load balancer sends a request to."""

    def __init__(self):
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies))

    def get(self, url) -> str:
        with self.opener.open(url, timeout=30) as response:
            return response.read().decode()

    def post(self, url, fields) -> str:
        form = self.get(url if "/accounts/login/" in url else url.rsplit("/updates/", 1)[0] + "/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form)[1]
        data = urllib.parse.urlencode({**fields, "csrfmiddlewaretoken": token}).encode()
        request = urllib.request.Request(url, data=data, headers={"Referer": url})  # noqa: S310 -- http://127.0.0.1 only
        with self.opener.open(request, timeout=30) as response:
            return response.read().decode()


def test_a_write_through_one_host_is_read_through_the_other_at_once(hosts, redis_url):
    import redis

    host_a, host_b = hosts
    browser = Browser()
    browser.post(f"{host_a}/accounts/login/", {"username": USERNAME, "password": PASSWORD})
    listed = browser.get(f"{host_b}/commitments/?q=Earth+observation")  # the session is shared too
    commitment = re.search(r'href="/commitments/(\d+)/"', listed)[1]
    page = f"/commitments/{commitment}/"

    before = browser.get(f"{host_b}{page}")  # B computes the page and files it in Redis
    assert "Handed over through host A." not in before
    assert redis.Redis.from_url(redis_url.rsplit("/", 1)[0] + "/1").keys("tracker:*")

    today = datetime.date.today().isoformat()
    posted = browser.post(
        f"{host_a}{page}updates/",
        {"reported_on": today, "status": "on_track", "progress": "40", "text": "Handed over through host A."},
    )
    assert "Status update posted." in posted

    after = browser.get(f"{host_b}{page}")
    assert "Handed over through host A." in after
    assert "40" in after and "On track" in after
