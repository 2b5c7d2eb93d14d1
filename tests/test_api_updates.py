"""POST /api/v1/commitments/<id>/updates/: a status update through the page's service, for editors;
a retry with the same Idempotency-Key lands once; every bad input a clear problem, never a 500."""

import datetime
import json

import pytest
from django.test import Client, override_settings
from django.utils import timezone

from tracker.models import APIToken, IdempotencyKey, StatusUpdate, TokenScope
from tracker.services.api_tokens import api_token_create

pytestmark = pytest.mark.django_db

GOOD = {"status": "on_track", "progress": 40, "text": "Contract signed."}


@pytest.fixture
def commitment(make_commitments):
    return make_commitments(1)[0]


@pytest.fixture
def token(editor):
    return api_token_create(
        user=editor,
        name="sync",
        scope=TokenScope.READ_POST,
        expires_on=timezone.localdate() + datetime.timedelta(days=30),
    )[1]


def url(pk):
    return f"/api/v1/commitments/{pk}/updates/"


def post(client, pk, body, token=None, content_type="application/json", **headers):
    if token:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    return client.generic("POST", url(pk), data, content_type=content_type, **headers)


def problem_fields(response) -> dict:
    body = response.json()
    assert response["Content-Type"] == "application/problem+json"
    assert body["status"] == response.status_code
    return {error["field"]: error["message"] for error in body.get("errors", [])}


# --- the post -----------------------------------------------------------------------------------


def test_an_editor_posts_an_update_and_the_commitment_follows(client, token, editor, commitment):
    response = post(client, commitment.pk, GOOD, token)
    assert response.status_code == 201
    body = response.json()
    update = StatusUpdate.objects.get()
    assert body["id"] == update.pk
    assert body["author"] == "editor"
    assert body["already_recorded"] is False
    assert body["reported_on"] == timezone.localdate().isoformat()
    assert body["commitment"]["status"] == "on_track"
    assert body["commitment"]["progress"] == 40
    assert response["Location"] == f"http://testserver/api/v1/commitments/{commitment.pk}/"
    commitment.refresh_from_db()
    assert (commitment.status, commitment.progress) == ("on_track", 40)
    assert update.author == editor
    assert commitment.history.latest().history_user == editor


def test_a_slip_with_its_reason_is_recorded(client, token, commitment):
    body = {**GOOD, "status": "at_risk", "reason": "other", "reason_note": "The launch slipped."}
    response = post(client, commitment.pk, body, token)
    assert response.status_code == 201
    assert response.json()["commitment"]["slip_reason"] == "other"


def test_a_reason_sent_with_an_update_that_has_not_slipped_is_dropped_as_on_the_page(
    client, token, commitment
):
    response = post(client, commitment.pk, {**GOOD, "reason": "funding"}, token)
    assert response.status_code == 201
    assert response.json()["reason"] == ""


def test_a_back_dated_update_is_accepted(client, token, commitment):
    day = (timezone.localdate() - datetime.timedelta(days=10)).isoformat()
    response = post(client, commitment.pk, {**GOOD, "reported_on": day}, token)
    assert response.status_code == 201
    assert response.json()["reported_on"] == day


def test_the_same_update_posted_twice_is_recorded_once_as_on_the_page(client, token, commitment):
    assert post(client, commitment.pk, GOOD, token).status_code == 201
    again = post(client, commitment.pk, GOOD, token)
    assert again.status_code == 200
    assert again.json()["already_recorded"] is True
    assert StatusUpdate.objects.count() == 1


def test_an_editor_session_posts_with_its_csrf_token(editor, commitment):
    checked = Client(enforce_csrf_checks=True)
    checked.force_login(editor)
    checked.get("/")  # a page sets the CSRF cookie, as the browser would have it
    csrf = checked.cookies["csrftoken"].value
    response = post(checked, commitment.pk, GOOD, HTTP_X_CSRFTOKEN=csrf)
    assert response.status_code == 201


def test_a_session_post_without_csrf_is_403(editor, commitment):
    checked = Client(enforce_csrf_checks=True)
    checked.force_login(editor)
    response = post(checked, commitment.pk, GOOD)
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
    assert not StatusUpdate.objects.exists()


# --- who may post -------------------------------------------------------------------------------


def test_a_viewer_session_may_not_post(viewer_client, commitment):
    response = post(viewer_client, commitment.pk, GOOD)
    assert response.status_code == 403
    assert "editors" in response.json()["detail"]


def test_nobody_posts_without_credentials(client, commitment):
    response = post(client, commitment.pk, GOOD)
    assert response.status_code == 401
    assert not StatusUpdate.objects.exists()


@pytest.mark.parametrize("state", ["expired", "revoked"])
def test_an_expired_or_revoked_token_is_401(client, token, commitment, state):
    change = (
        {"expires_on": timezone.localdate() - datetime.timedelta(days=1)}
        if state == "expired"
        else {"revoked_at": timezone.now()}
    )
    APIToken.objects.update(**change)
    response = post(client, commitment.pk, GOOD, token)
    assert response.status_code == 401
    assert not StatusUpdate.objects.exists()


def test_a_read_only_token_posting_is_403(client, editor, commitment):
    _t, text = api_token_create(
        user=editor,
        name="r",
        scope=TokenScope.READ,
        expires_on=timezone.localdate() + datetime.timedelta(days=1),
    )
    assert post(client, commitment.pk, GOOD, text).status_code == 403


def test_a_token_in_the_query_string_is_refused(client, token, commitment):
    response = client.post(f"{url(commitment.pk)}?token={token}", GOOD, content_type="application/json")
    assert response.status_code == 401
    assert "Authorization header" in response.json()["detail"]


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_nothing_else_is_writable(client, token, commitment, method):
    response = getattr(client, method)(
        url(commitment.pk), GOOD, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}"
    )
    assert response.status_code == 405
    assert response["Content-Type"] == "application/problem+json"


def test_get_on_the_write_endpoint_is_405(client, token, commitment):
    assert client.get(url(commitment.pk), HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 405


# --- bad input ----------------------------------------------------------------------------------


def test_a_commitment_that_does_not_exist_is_404(client, token, commitment):
    response = post(client, commitment.pk + 1000, GOOD, token)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"


def test_malformed_json_is_400(client, token, commitment):
    response = post(client, commitment.pk, '{"status": "on_track",', token)
    assert response.status_code == 400
    assert "JSON" in response.json()["detail"]


def test_a_body_that_is_not_an_object_is_400(client, token, commitment):
    response = post(client, commitment.pk, "[1, 2]", token)
    assert response.status_code == 400
    assert problem_fields(response)


def test_the_wrong_content_type_is_415(client, token, commitment):
    response = post(
        client, commitment.pk, "status=on_track", token, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 415
    assert response["Content-Type"] == "application/problem+json"


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1000)
def test_a_huge_body_is_413(client, token, commitment):
    response = post(client, commitment.pk, {**GOOD, "text": "x" * 5000}, token)
    assert response.status_code == 413
    assert response["Content-Type"] == "application/problem+json"
    assert "1000" in response.json()["detail"]
    assert not StatusUpdate.objects.exists()


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1000)
def test_a_huge_body_is_413_from_a_session_too(editor_client, commitment):
    assert post(editor_client, commitment.pk, {**GOOD, "text": "x" * 5000}).status_code == 413


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"progress": 150}, "progress", "less than or equal to 100"),
        ({"progress": -1}, "progress", "greater than or equal to 0"),
        ({"progress": "lots"}, "progress", "valid integer"),
        ({"status": "great"}, "status", "not a valid choice"),
        ({"status": None}, "status", "null"),
        ({"text": ""}, "text", "blank"),
        ({"evidence_url": "not a link"}, "evidence_url", "valid URL"),
        ({"reported_on": "yesterday"}, "reported_on", "format"),
        ({"reported_on": "2024-02-30"}, "reported_on", "format"),
        ({"status": "off_track"}, "reason", "Say why it slipped"),
        ({"status": "discontinued"}, "reason", "Say why it slipped"),
        ({"status": "at_risk", "reason": "other"}, "reason_note", "few words"),
        ({"status": "at_risk", "reason": "weather"}, "reason", "not a valid choice"),
    ],
)
def test_bad_fields_are_400_naming_the_field(client, token, commitment, change, field, words):
    response = post(client, commitment.pk, {**GOOD, **change}, token)
    assert response.status_code == 400
    fields = problem_fields(response)
    assert words in fields[field]
    assert not StatusUpdate.objects.exists()


def test_a_date_in_the_future_is_400(client, token, commitment):
    tomorrow = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    response = post(client, commitment.pk, {**GOOD, "reported_on": tomorrow}, token)
    assert response.status_code == 400
    assert "reported_on" in problem_fields(response)


@pytest.mark.parametrize("missing", ["status", "progress", "text"])
def test_a_missing_field_is_400(client, token, commitment, missing):
    body = {name: value for name, value in GOOD.items() if name != missing}
    response = post(client, commitment.pk, body, token)
    assert response.status_code == 400
    assert "required" in problem_fields(response)[missing]


# --- Idempotency-Key ----------------------------------------------------------------------------


def test_a_retry_with_the_same_key_lands_once_and_replays_the_first_answer(client, token, commitment):
    first = post(client, commitment.pk, GOOD, token, HTTP_IDEMPOTENCY_KEY="k-1")
    # Past the service's own duplicate window, a retry without the key would be a second update.
    StatusUpdate.objects.update(created_at=timezone.now() - datetime.timedelta(hours=1))
    again = post(client, commitment.pk, GOOD, token, HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Location"] == first["Location"]
    assert again["Idempotency-Replayed"] == "true"
    assert "Idempotency-Replayed" not in first
    assert StatusUpdate.objects.count() == 1


def test_several_retries_in_a_row_land_once(client, token, commitment):
    answers = [post(client, commitment.pk, GOOD, token, HTTP_IDEMPOTENCY_KEY="k-many") for _ in range(5)]
    assert {answer.status_code for answer in answers} == {201}
    assert len({answer.content for answer in answers}) == 1
    assert StatusUpdate.objects.count() == 1
    assert IdempotencyKey.objects.count() == 1


def test_the_same_key_with_a_different_body_is_refused(client, token, commitment):
    post(client, commitment.pk, GOOD, token, HTTP_IDEMPOTENCY_KEY="k-2")
    response = post(client, commitment.pk, {**GOOD, "progress": 41}, token, HTTP_IDEMPOTENCY_KEY="k-2")
    assert response.status_code == 422
    assert "Idempotency-Key" in response.json()["detail"]
    assert StatusUpdate.objects.count() == 1


def test_the_same_key_on_another_commitment_is_refused(client, token, make_commitments):
    one, two = make_commitments(2)
    post(client, one.pk, GOOD, token, HTTP_IDEMPOTENCY_KEY="k-3")
    assert post(client, two.pk, GOOD, token, HTTP_IDEMPOTENCY_KEY="k-3").status_code == 422


def test_keys_belong_to_one_person(client, token, viewer, commitment, django_user_model):
    from django.contrib.auth.models import Group

    other = django_user_model.objects.create(username="other-editor")
    other.groups.add(Group.objects.get(name="Editors"))
    other_token = api_token_create(
        user=other,
        name="o",
        scope=TokenScope.READ_POST,
        expires_on=timezone.localdate() + datetime.timedelta(days=1),
    )[1]
    assert post(client, commitment.pk, GOOD, token, HTTP_IDEMPOTENCY_KEY="shared").status_code == 201
    theirs = post(client, commitment.pk, GOOD, other_token, HTTP_IDEMPOTENCY_KEY="shared")
    assert theirs.status_code == 201
    assert "Idempotency-Replayed" not in theirs
    assert theirs.json()["author"] == "other-editor"


def test_a_refused_post_is_not_remembered(client, token, commitment):
    assert (
        post(client, commitment.pk, {**GOOD, "progress": 150}, token, HTTP_IDEMPOTENCY_KEY="k-4").status_code
        == 400
    )
    assert post(client, commitment.pk, GOOD, token, HTTP_IDEMPOTENCY_KEY="k-4").status_code == 201


def test_keys_are_forgotten_after_a_day(client, token, commitment):
    post(client, commitment.pk, GOOD, token, HTTP_IDEMPOTENCY_KEY="k-5")
    IdempotencyKey.objects.update(created_at=timezone.now() - datetime.timedelta(hours=25))
    StatusUpdate.objects.update(created_at=timezone.now() - datetime.timedelta(hours=25))
    again = post(client, commitment.pk, GOOD, token, HTTP_IDEMPOTENCY_KEY="k-5")
    assert again.status_code == 201
    assert "Idempotency-Replayed" not in again
    assert StatusUpdate.objects.count() == 2
    assert IdempotencyKey.objects.count() == 1


@pytest.mark.parametrize("key", ["", " ", "x" * 256])
def test_an_unusable_key_is_400(client, token, commitment, key):
    response = post(client, commitment.pk, GOOD, token, HTTP_IDEMPOTENCY_KEY=key)
    assert response.status_code == 400
    assert "Idempotency-Key" in problem_fields(response)
    assert not StatusUpdate.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_retries_arriving_together_land_once(editor, make_commitments):
    """Four copies of one post, same key, sent at the same moment (a client that timed out and
    retried): one update, and every answer the first one's."""
    import threading

    from django.db import connection

    commitment = make_commitments(1)[0]
    text = api_token_create(
        user=editor,
        name="t",
        scope=TokenScope.READ_POST,
        expires_on=timezone.localdate() + datetime.timedelta(days=1),
    )[1]
    start, answers, errors = threading.Barrier(4), [], []

    def send():
        try:
            start.wait()
            answers.append(post(Client(), commitment.pk, GOOD, text, HTTP_IDEMPOTENCY_KEY="together"))
        except Exception as exc:  # noqa: BLE001 -- report every failure, from every thread
            errors.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert {answer.status_code for answer in answers} == {201}
    assert len({answer.json()["id"] for answer in answers}) == 1
    assert StatusUpdate.objects.count() == 1
    assert IdempotencyKey.objects.count() == 1
