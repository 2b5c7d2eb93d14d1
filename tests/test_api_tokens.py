"""Personal API tokens: made on their page and shown once, stored hashed, used as a Bearer header,
revoked by their owner or an administrator, refused when expired, revoked, unknown, malformed, in the
query string or of an inactive user; a read-only token may not post; throttled per token."""

import datetime
import hashlib
import logging

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from tracker.models import APIToken, TokenScope
from tracker.models.api_token import DEFAULT_LIFETIME_DAYS, MAX_LIFETIME_DAYS
from tracker.services.api_tokens import api_token_create, api_token_revoke

pytestmark = pytest.mark.django_db

TOKENS_PAGE = "/account/api-tokens/"


def make_token(user, scope=TokenScope.READ_POST, days=30, name="script"):
    return api_token_create(
        user=user, name=name, scope=scope, expires_on=timezone.localdate() + datetime.timedelta(days=days)
    )


@pytest.fixture
def commitment(make_commitments):
    return make_commitments(1)[0]


def post_update(client, commitment_pk, token=None, **extra):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    body = {"status": "on_track", "progress": 40, "text": "Moving."}
    return client.post(
        f"/api/v1/commitments/{commitment_pk}/updates/",
        body,
        content_type="application/json",
        **headers,
        **extra,
    )


# --- the page -----------------------------------------------------------------------------------


def test_the_header_links_to_the_tokens_page(viewer_client):
    page = viewer_client.get(reverse("tracker:overview"))
    assert f'href="{TOKENS_PAGE}"' in page.content.decode()


def test_a_token_made_on_the_page_is_shown_once_and_stored_hashed(viewer_client, viewer):
    expires = (timezone.localdate() + datetime.timedelta(days=30)).isoformat()
    response = viewer_client.post(TOKENS_PAGE, {"name": "charts", "scope": "read", "expires_on": expires})
    assert response.status_code == 302
    assert response["Location"] == TOKENS_PAGE  # the token is not in the address

    shown = viewer_client.get(TOKENS_PAGE).content.decode()
    token = APIToken.objects.get(user=viewer)
    start = shown.index('id="new-token-text"')
    text = shown[start:].split('value="', 1)[1].split('"', 1)[0]
    assert text.startswith(f"dct_{token.prefix}_")
    assert token.token_hash == hashlib.sha256(text.encode()).hexdigest()
    assert text not in str(APIToken.objects.filter(pk=token.pk).values().get())

    again = viewer_client.get(TOKENS_PAGE).content.decode()
    assert text not in again
    assert "charts" in again


def test_the_page_offers_a_default_expiry(viewer_client):
    page = viewer_client.get(TOKENS_PAGE).content.decode()
    default = (timezone.localdate() + datetime.timedelta(days=DEFAULT_LIFETIME_DAYS)).isoformat()
    assert f'value="{default}"' in page
    assert '<label for="id_name">' in page


@pytest.mark.parametrize(
    ("days", "message"),
    [(0, "Choose a day after today."), (-3, "Choose a day after today."), (MAX_LIFETIME_DAYS + 1, "at most")],
)
def test_an_expiry_out_of_range_is_refused_with_a_message(viewer_client, days, message):
    expires = (timezone.localdate() + datetime.timedelta(days=days)).isoformat()
    response = viewer_client.post(TOKENS_PAGE, {"name": "x", "scope": "read", "expires_on": expires})
    assert response.status_code == 422
    assert message in response.content.decode()
    assert not APIToken.objects.exists()


def test_a_missing_name_is_refused(viewer_client):
    expires = (timezone.localdate() + datetime.timedelta(days=3)).isoformat()
    response = viewer_client.post(TOKENS_PAGE, {"name": "", "scope": "read", "expires_on": expires})
    assert response.status_code == 422
    assert not APIToken.objects.exists()


def test_the_page_lists_only_ones_own_tokens(viewer_client, viewer, editor):
    make_token(viewer, name="mine")
    make_token(editor, name="theirs")
    page = viewer_client.get(TOKENS_PAGE).content.decode()
    assert "mine" in page
    assert "theirs" not in page


def test_the_owner_revokes_a_token_and_it_stops_working(viewer_client, viewer, commitment):
    token, text = make_token(viewer, scope=TokenScope.READ)
    response = viewer_client.post(reverse("tracker:api_token_revoke", args=[token.pk]))
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert token.revoked_by == viewer
    viewer_client.logout()
    assert post_update(viewer_client, commitment.pk, text).status_code == 401


def test_nobody_revokes_another_persons_token_on_the_page(viewer_client, editor):
    token, _text = make_token(editor)
    response = viewer_client.post(reverse("tracker:api_token_revoke", args=[token.pk]))
    assert response.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_revoking_needs_a_post(viewer_client, viewer):
    token, _text = make_token(viewer)
    assert viewer_client.get(reverse("tracker:api_token_revoke", args=[token.pk])).status_code == 405


def test_revoking_needs_the_csrf_token(client, viewer):
    from django.test import Client

    token, _text = make_token(viewer)
    checked = Client(enforce_csrf_checks=True)
    checked.force_login(viewer)
    assert checked.post(reverse("tracker:api_token_revoke", args=[token.pk])).status_code == 403
    token.refresh_from_db()
    assert token.revoked_at is None


def test_the_tokens_page_needs_a_login(client):
    assert client.get(TOKENS_PAGE).status_code == 302


# --- the admin ----------------------------------------------------------------------------------


def test_an_administrator_sees_every_token_but_never_its_hash(admin_client, viewer, editor):
    first, _ = make_token(viewer, name="viewer-script")
    make_token(editor, name="editor-script")
    listing = admin_client.get(reverse("admin:tracker_apitoken_changelist")).content.decode()
    assert "viewer-script" in listing and "editor-script" in listing
    detail = admin_client.get(reverse("admin:tracker_apitoken_change", args=[first.pk])).content.decode()
    assert first.token_hash not in detail
    assert first.token_hash not in listing


def test_an_administrator_revokes_any_token_and_is_named(admin_client, superuser, viewer, commitment):
    token, text = make_token(viewer)
    response = admin_client.post(
        reverse("admin:tracker_apitoken_changelist"),
        {"action": "revoke", "_selected_action": [token.pk]},
    )
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_by == superuser
    assert post_update(admin_client.__class__(), commitment.pk, text).status_code == 401


def test_tokens_are_not_added_or_deleted_in_the_admin(admin_client, viewer):
    token, _ = make_token(viewer)
    assert admin_client.get(reverse("admin:tracker_apitoken_add")).status_code == 403
    assert admin_client.get(reverse("admin:tracker_apitoken_delete", args=[token.pk])).status_code == 403


# --- authentication -----------------------------------------------------------------------------


def test_a_token_authenticates_and_records_its_last_use(client, editor, commitment):
    token, text = make_token(editor)
    assert token.last_used_at is None
    assert post_update(client, commitment.pk, text).status_code == 201
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_last_use_is_written_at_most_once_a_minute(client, editor, commitment):
    token, text = make_token(editor)
    recent = timezone.now() - datetime.timedelta(seconds=10)
    APIToken.objects.filter(pk=token.pk).update(last_used_at=recent)
    post_update(client, commitment.pk, text)
    token.refresh_from_db()
    assert token.last_used_at == recent
    APIToken.objects.filter(pk=token.pk).update(last_used_at=recent - datetime.timedelta(minutes=2))
    post_update(client, commitment.pk, text)
    token.refresh_from_db()
    assert token.last_used_at > recent


def test_no_credentials_is_401_with_a_challenge(client, commitment):
    response = post_update(client, commitment.pk)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert response["Content-Type"] == "application/problem+json"


@pytest.mark.parametrize(
    "header",
    [
        "Bearer",
        "Bearer two words",
        "Bearer dct_nothing",
        "Bearer dct_0000000_x",
        "Bearer not-a-token",
        "Bearer dct_00000000_secret",
    ],
)
def test_malformed_or_unknown_tokens_are_401_problems(client, commitment, header):
    response = client.post(
        f"/api/v1/commitments/{commitment.pk}/updates/",
        {},
        content_type="application/json",
        HTTP_AUTHORIZATION=header,
    )
    assert response.status_code == 401
    assert response.json()["status"] == 401
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_token_with_a_wrong_secret_is_refused(client, editor, commitment):
    token, text = make_token(editor)
    assert post_update(client, commitment.pk, text[:-4] + "AAAA").status_code == 401


def test_an_expired_token_is_refused(client, editor, commitment):
    token, text = make_token(editor)
    APIToken.objects.filter(pk=token.pk).update(expires_on=timezone.localdate() - datetime.timedelta(days=1))
    response = post_update(client, commitment.pk, text)
    assert response.status_code == 401
    assert "expired" in response.json()["detail"]


def test_a_token_works_through_its_expiry_day(client, editor, commitment):
    token, text = make_token(editor)
    APIToken.objects.filter(pk=token.pk).update(expires_on=timezone.localdate())
    assert post_update(client, commitment.pk, text).status_code == 201


def test_an_inactive_users_token_is_refused(client, editor, commitment):
    _token, text = make_token(editor)
    editor.is_active = False
    editor.save()
    assert post_update(client, commitment.pk, text).status_code == 401


@pytest.mark.parametrize("name", ["token", "access_token", "api_key", "key"])
def test_a_token_in_the_query_string_is_refused(client, editor, commitment, name):
    _token, text = make_token(editor)
    response = client.post(
        f"/api/v1/commitments/{commitment.pk}/updates/?{name}={text}",
        {"status": "on_track", "progress": 1, "text": "x"},
        content_type="application/json",
    )
    assert response.status_code == 401
    assert "Authorization header" in response.json()["detail"]
    assert not commitment.updates.exists()


def test_a_token_in_the_query_string_is_refused_beside_a_good_header(client, editor, commitment):
    _token, text = make_token(editor)
    response = post_update(client, f"{commitment.pk}/updates/?access_token=x&x=", text)
    assert response.status_code == 401
    assert not commitment.updates.exists()


def test_failed_attempts_are_logged_without_the_secret(client, editor, commitment, caplog):
    token, text = make_token(editor)
    APIToken.objects.filter(pk=token.pk).update(revoked_at=timezone.now())
    with caplog.at_level(logging.WARNING, logger="tracker.api.tokens"):
        post_update(client, commitment.pk, text, REMOTE_ADDR="192.0.2.7")
    (record,) = [r.getMessage() for r in caplog.records if r.name == "tracker.api.tokens"]
    assert "revoked token" in record
    assert token.prefix in record
    assert "192.0.2.7" in record
    assert text.split("_", 2)[2] not in caplog.text


# --- scopes and the role matrix -----------------------------------------------------------------


def test_a_read_only_token_may_not_post(client, editor, commitment):
    _token, text = make_token(editor, scope=TokenScope.READ)
    response = post_update(client, commitment.pk, text)
    assert response.status_code == 403
    assert "only read" in response.json()["detail"]
    assert not commitment.updates.exists()


def test_a_viewers_token_may_not_post_even_with_the_post_scope(client, viewer, commitment):
    _token, text = make_token(viewer, scope=TokenScope.READ_POST)
    response = post_update(client, commitment.pk, text)
    assert response.status_code == 403
    assert not commitment.updates.exists()


def test_a_token_of_a_user_in_no_group_may_not_post(client, django_user_model, commitment):
    nobody = django_user_model.objects.create(username="nobody")
    _token, text = make_token(nobody)
    assert post_update(client, commitment.pk, text).status_code == 403


def test_an_editors_post_token_posts_as_the_editor(client, editor, commitment):
    _token, text = make_token(editor)
    response = post_update(client, commitment.pk, text)
    assert response.status_code == 201
    assert response.json()["author"] == "editor"
    assert commitment.updates.get().author == editor


def test_a_read_only_token_is_good_for_safe_methods(client, editor, commitment):
    """The read endpoints are another module's: OPTIONS, a safe method, on the write endpoint shows a
    read-only token authenticates where it may."""
    _token, text = make_token(editor, scope=TokenScope.READ)
    url = f"/api/v1/commitments/{commitment.pk}/updates/"
    assert client.options(url).status_code == 401
    assert client.options(url, HTTP_AUTHORIZATION=f"Bearer {text}").status_code == 200


# --- throttling ---------------------------------------------------------------------------------


@override_settings(TRACKER_API_RATE="2/minute")
def test_a_token_beyond_its_rate_gets_429_with_retry_after(client, editor, commitment):
    _token, text = make_token(editor)
    assert post_update(client, commitment.pk, text).status_code == 201
    assert post_update(client, commitment.pk, text).status_code == 200  # the same post, recorded once
    response = post_update(client, commitment.pk, text)
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["status"] == 429


@override_settings(TRACKER_API_RATE="1/minute")
def test_each_token_has_its_own_count(client, editor, commitment):
    _first, one = make_token(editor, name="one")
    _second, two = make_token(editor, name="two")
    assert post_update(client, commitment.pk, one).status_code == 201
    assert post_update(client, commitment.pk, one).status_code == 429
    assert post_update(client, commitment.pk, two).status_code == 200


@override_settings(TRACKER_API_RATE="1/minute")
def test_a_session_user_is_throttled_too(editor_client, commitment):
    assert post_update(editor_client, commitment.pk).status_code == 201
    assert post_update(editor_client, commitment.pk).status_code == 429


def test_a_token_in_the_query_string_is_logged_by_its_prefix(client, editor, commitment, caplog):
    token, text = make_token(editor)
    with caplog.at_level(logging.WARNING, logger="tracker.api.tokens"):
        client.post(f"/api/v1/commitments/{commitment.pk}/updates/?access_token={text}")
    (record,) = [r.getMessage() for r in caplog.records if r.name == "tracker.api.tokens"]
    assert "query string" in record
    assert token.prefix in record
    assert text not in caplog.text


# --- query counts -------------------------------------------------------------------------------


def count_queries(client, path) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    return len(captured)


def test_the_tokens_page_query_count_does_not_grow_with_tokens(viewer_client, viewer, superuser):
    make_token(viewer, name="one")
    few = count_queries(viewer_client, TOKENS_PAGE)
    for n in range(6):
        token, _text = make_token(viewer, name=f"more {n}")
        if n % 2:
            api_token_revoke(token=token, by=superuser)
    assert count_queries(viewer_client, TOKENS_PAGE) == few


def test_a_token_request_costs_a_fixed_number_of_queries(
    client, editor, commitment, django_assert_max_num_queries
):
    """Finding the token and its user is one query; last use is written at most once a minute."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _token, text = make_token(editor)
    post_update(client, commitment.pk, text)  # the first use writes last_used_at
    with CaptureQueriesContext(connection) as captured:
        post_update(client, commitment.pk, text)
    token_queries = [q["sql"] for q in captured if "tracker_apitoken" in q["sql"]]
    assert len(token_queries) == 1


@pytest.mark.parametrize(
    ("rate", "parsed"),
    [("1200/minute", (1200, 60)), ("5/second", (5, 1)), ("100/hour", (100, 3600)), ("9/day", (9, 86400))],
)
def test_rates_read_as_requests_per_window(rate, parsed):
    from tracker.api.throttling import parse_rate

    assert parse_rate(rate) == parsed


@override_settings(TRACKER_API_RATE="1/minute")
def test_the_count_starts_again_in_the_next_window(client, editor, commitment, monkeypatch):
    import time

    from tracker.api import throttling

    _token, text = make_token(editor)
    now = time.time()
    monkeypatch.setattr(throttling.time, "time", lambda: now)
    assert post_update(client, commitment.pk, text).status_code == 201
    refused = post_update(client, commitment.pk, text)
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) <= 60
    monkeypatch.setattr(throttling.time, "time", lambda: now + 60)
    assert post_update(client, commitment.pk, text).status_code == 200
