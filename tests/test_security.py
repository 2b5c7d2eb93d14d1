"""Deny by default: logins are throttled, pages carry a strict script policy, user text stays text."""

import re
from pathlib import Path

import pytest
from axes.models import AccessAttempt
from django.urls import URLPattern, URLResolver, get_resolver

from tests.conftest import PASSWORD
from tracker.models import Agency, Commitment, Dialogue, SourceDocument, StatusUpdate, Theme
from tracker.templatetags.tracker_tags import escaped_markup

ROOT = Path(__file__).resolve().parent.parent


def attempt(client, username, password, address="10.0.0.1"):
    return client.post("/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR=address)


def test_five_failed_logins_lock_the_username_from_that_address(client, viewer):
    for _ in range(4):
        assert attempt(client, "viewer", "wrong").status_code == 200
    assert attempt(client, "viewer", "wrong").status_code == 429  # the fifth failure locks
    locked = attempt(client, "viewer", PASSWORD)  # and now even the right password is refused
    assert locked.status_code == 429
    assert "Too many failed log-ins" in locked.content.decode()
    assert "30 minutes" in locked.content.decode()
    assert AccessAttempt.objects.get(username="viewer").failures_since_start >= 5  # failures are logged


def test_a_lockout_does_not_spread_to_other_addresses_or_users(client, viewer, editor):
    for _ in range(5):
        attempt(client, "viewer", "wrong")
    assert attempt(client, "viewer", PASSWORD, address="10.0.0.2").status_code == 302
    client.logout()
    assert attempt(client, "editor", PASSWORD).status_code == 302


def test_a_deactivated_user_loses_access_on_the_next_request(client, viewer):
    client.force_login(viewer)
    assert client.get("/").status_code == 200
    viewer.is_active = False
    viewer.save()
    assert client.get("/")["Location"].startswith("/accounts/login/")


def test_pages_carry_a_strict_content_security_policy(viewer_client, seed):
    policy = viewer_client.get("/commitments/")["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";") if d.strip())
    assert directives["script-src"] == "'self'"
    assert "unsafe" not in policy


# --- anonymous requests to every URL ----------------------------------------------------------

# The digest's unsubscribe link works without a login by design: its signed token is the key, and a
# wrong token gets a 400 that names nobody (tests/test_digests.py).
# The language switch too: the login page has it (it only sets a cookie, and stores nothing for an
# anonymous visitor; tests/test_i18n.py).
PUBLIC = {"accounts/login/", "healthz", "admin/login/", "digest/unsubscribe/<str:token>/", "i18n/setlang/"}
# Calendar feeds: fetched by calendar programs, which cannot log in; the secret token in the address
# stands for the login (tests/test_calendar_feeds.py), and without a valid one the answer is a 404.
TOKEN_GUARDED = {"calendar/<str:token>/following.ics", "calendar/<str:token>/dialogues/<slug:slug>.ics"}


def every_url(resolver=None, prefix=""):
    """Each URL pattern, with sample values for its converters, as (route, path)."""
    for entry in (resolver or get_resolver()).url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from every_url(entry, route)
        elif isinstance(entry, URLPattern):
            yield (
                route,
                "/"
                + re.sub(
                    r"<(?:(\w+):)?\w+>",
                    lambda m: "nasa" if m.group(1) in ("slug", None) else "1",
                    route.lstrip("^").rstrip("$").replace("\\Z", ""),
                ),
            )


ALL_ROUTES = sorted({route: path for route, path in every_url() if "(?P" not in route}.items())
# The API answers for itself (tracker/api/): an anonymous request gets 401 problem details, not a redirect.
# Its documentation is a page for people, and sends them to log in like every page.
API_PAGES = {"api/v1/docs/"}
ROUTES = [
    (route, path)
    for route, path in ALL_ROUTES
    if route not in PUBLIC | TOKEN_GUARDED and (not route.startswith("api/") or route in API_PAGES)
]
API_ROUTES = [
    (route, path) for route, path in ALL_ROUTES if route.startswith("api/") and route not in API_PAGES
]


@pytest.mark.parametrize(("route", "path"), API_ROUTES, ids=[r for r, _ in API_ROUTES])
@pytest.mark.parametrize("method", ["get", "post"])
def test_anonymous_requests_to_every_api_url_are_401_and_show_no_data(client, seed, route, path, method):
    response = getattr(client, method)(path)
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert b"Earth observation" not in response.content and b"NASA" not in response.content


@pytest.mark.parametrize(("route", "path"), ROUTES, ids=[r for r, _ in ROUTES])
@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_anonymous_requests_to_every_url_go_to_login_and_show_no_data(client, seed, route, path, htmx):
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    response = client.get(path, **headers)
    if route.startswith("api/") and route != "api/v1/docs/":
        # The JSON API answers for itself, in JSON a script can read (its docs page is a page).
        assert response.status_code in (401, 403) and response["Content-Type"] == "application/problem+json"
    elif route == "api/v1/docs/":  # outside the htmx-aware middleware: a plain redirect either way
        assert response.status_code == 302 and "login/?next=" in response["Location"]
    elif htmx:  # a whole-page redirect, never a login form inside a fragment
        assert response.status_code == 200 and "login/?next=" in response["HX-Redirect"]
    else:
        assert response.status_code == 302 and "login/?next=" in response["Location"]
    assert b"Earth observation" not in response.content and b"NASA" not in response.content


@pytest.mark.parametrize("path", ["/accounts/login/", "/healthz", "/admin/login/"])
def test_the_allow_listed_urls_answer_without_a_login_and_show_no_data(client, seed, path):
    response = client.get(path)
    assert response.status_code == 200
    assert b"Earth observation" not in response.content and b"NASA" not in response.content


@pytest.mark.parametrize("route", sorted(TOKEN_GUARDED))
def test_the_calendar_feeds_answer_404_without_a_valid_token_and_show_no_data(client, seed, route):
    path = route.replace("<str:token>", "1").replace("<slug:slug>", "us-france-space-dialogue")
    response = client.get("/" + path)
    assert response.status_code == 404
    assert b"Earth observation" not in response.content and b"NASA" not in response.content


def test_the_allow_list_is_exactly_the_public_urls():
    assert {route for route, _ in ALL_ROUTES} & PUBLIC == PUBLIC
    assert {route for route, _ in ALL_ROUTES} & TOKEN_GUARDED == TOKEN_GUARDED


def test_the_url_walk_covers_the_tracker_pages():
    routes = {route for route, _ in ROUTES}
    assert {
        "",
        "commitments/",
        "commitments/<int:pk>/",
        "agencies/<slug:slug>/",
        "sources/<int:pk>/",
    } <= routes


# --- user text is rendered as text -------------------------------------------------------------

PAYLOADS = ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>', '<a hx-get="/admin/">x</a>']


@pytest.mark.parametrize("payload", PAYLOADS)
def test_markup_stored_in_records_is_shown_as_text_everywhere(client, seed, editor, payload):
    client.force_login(editor)
    commitment = Commitment.objects.get(slug="objective-space-economy")
    Commitment.objects.filter(pk=commitment.pk).update(title=payload, description=payload, quote="")
    Agency.objects.filter(slug="nasa").update(name=payload, acronym=payload, description=payload)
    Theme.objects.filter(slug="space-economy").update(name=payload, description=payload)
    Dialogue.objects.update(name=payload, description=payload)
    SourceDocument.objects.update(title=payload, publisher=payload)
    client.post(
        f"/commitments/{commitment.pk}/updates/",
        {
            "reported_on": "2024-01-01",
            "status": "on_track",
            "progress": "5",
            "text": payload,
        },
    )
    assert StatusUpdate.objects.filter(text=payload).exists()
    pages = [
        "/",
        "/commitments/",
        f"/commitments/{commitment.pk}/",
        "/agencies/",
        "/agencies/nasa/",
        "/themes/space-economy/",
        f"/sources/{commitment.source_id}/",
    ]
    for url in pages:
        for headers in ({}, {"HTTP_HX_REQUEST": "true"}):
            body = client.get(url, **headers).content.decode()
            assert payload not in body, url
    escaped = payload.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    assert escaped in client.get(f"/commitments/{commitment.pk}/").content.decode()


# The one audited use: it escapes every value itself (tested below).
ALLOWED_MARK_SAFE = "tracker/templatetags/tracker_tags.py"


def test_no_template_or_view_switches_escaping_or_csrf_off():
    """|safe, mark_safe and csrf_exempt would each let user data or forged posts through."""
    offenders = []
    for path in [*ROOT.joinpath("templates").rglob("*.html"), *ROOT.joinpath("tracker").rglob("*.py")]:
        text = path.read_text(encoding="utf-8")
        if str(path.relative_to(ROOT)) == ALLOWED_MARK_SAFE:
            assert text.count("mark_safe(") == 1
            text = text.replace("mark_safe", "")
        for banned in ("|safe", "mark_safe", "csrf_exempt", "{% autoescape off"):
            if banned in text:
                offenders.append(f"{path.relative_to(ROOT)}: {banned}")
    assert offenders == []


def test_the_one_safe_marking_escapes_every_value():
    markup = escaped_markup([('<b title="{0}">{1}</b>', ('"><script>', "<i>&'"))])
    assert str(markup) == '<b title="&quot;&gt;&lt;script&gt;">&lt;i&gt;&amp;&#x27;</b>'
