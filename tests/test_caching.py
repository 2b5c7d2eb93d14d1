"""Cached pages never show data older than the last write (tracker/caching.py), with the page cache
in files (the default) and in Redis (TRACKER_CACHE_URL, several hosts)."""

import datetime

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.test import override_settings

from config.settings import page_cache
from tests.conftest import PASSWORD
from tests.factories import reason_for
from tracker import caching, services
from tracker.loader import DEFAULT_DIALOGUE_FILE, dialogue_load, read_dialogue_file
from tracker.models import (
    Agency,
    Assessment,
    Commitment,
    DataStamp,
    Participation,
    Round,
    Status,
    StatusUpdate,
    Theme,
)

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True, params=["files", "redis"])
def cache_backend(request):
    """Every test here runs with each backend the settings offer: files, and a real Redis server."""
    if request.param == "files":
        yield request.param
        return
    with override_settings(CACHES={"default": page_cache(request.getfixturevalue("redis_url"))}):
        cache.clear()
        yield request.param


def first_commitment():
    return Commitment.objects.get(slug="earth-observation-data-exchange")


def post(author, status=Status.OFF_TRACK):
    return services.status_update_create(
        commitment=first_commitment(),
        author=author,
        status=status,
        **reason_for(status),
        progress=10,
        text="Reported.",
    )


WRITES = {
    "a status update": lambda editor: post(editor),
    "a commitment saved": lambda editor: first_commitment().save(),
    "a theme linked": lambda editor: first_commitment().themes.add(Theme.objects.get(slug="space-economy")),
    "a theme unlinked": lambda editor: first_commitment().themes.clear(),
    "an agency renamed": lambda editor: Agency.objects.get(slug="nasa").save(),
    "a participation removed": lambda editor: Participation.objects.first().delete(),
    "an author renamed": lambda editor: User.objects.filter(pk=editor.pk).first().save(),
    "a round added": lambda editor: add_round(),
    "a blocker linked": lambda editor: first_commitment().blocked_by.add(Commitment.objects.last()),
}


def add_round():
    dialogue = first_commitment().dialogue
    return Round.objects.create(dialogue=dialogue, number=dialogue.rounds.count() + 1, held_on="2024-01-01")


@pytest.mark.parametrize("write", WRITES)
def test_every_kind_of_write_gives_the_data_a_new_token(seed, editor, write):
    """Both tokens: each of these changes what today's list can show (tests/test_caching_state.py has
    the writes to the trail alone, which keep the state token)."""
    token, state_token = caching.data_tokens()
    WRITES[write](editor)
    assert caching.data_tokens()[0] != token
    assert caching.data_tokens()[1] != state_token


def test_the_tokens_are_read_from_the_stamps_own_table_and_columns(db):
    """caching.TOKENS_SQL is written out rather than built by the ORM: it must name DataStamp's table
    and columns as the model does."""
    meta = DataStamp._meta
    token, state_token = meta.get_field("token").column, meta.get_field("state_token").column
    written = "SELECT token, state_token FROM tracker_datastamp WHERE id = %s"
    assert caching.TOKENS_SQL == written
    assert (token, state_token, meta.db_table, meta.pk.column) == (
        "token",
        "state_token",
        "tracker_datastamp",
        "id",
    )
    stamp = DataStamp.objects.get(pk=caching.STAMP_ID)
    assert caching.data_tokens() == (stamp.token, stamp.state_token)


def test_an_assessment_gives_the_data_a_new_token(seed, editor):
    held = add_round()
    before = caching.data_token()
    Assessment.objects.create(
        commitment=first_commitment(), round=held, party="US", score=1, rationale="x", assessor=editor
    )
    assert caching.data_token() != before


def test_a_status_update_deleted_gives_the_data_a_new_token(seed, editor):
    update = post(editor)
    before = caching.data_token()
    services.status_update_delete(update=StatusUpdate.objects.get(pk=update.pk))
    assert caching.data_token() != before


def test_reloading_an_unchanged_dialogue_keeps_the_token(seed):
    before = caching.data_token()
    dialogue_load(data=read_dialogue_file(DEFAULT_DIALOGUE_FILE))  # the loader saves only what differs
    assert caching.data_token() == before


def test_logging_in_keeps_the_token(seed, viewer, client):
    """A login writes the user's last_login, which no page shows: cached pages stay valid."""
    before = caching.data_token()
    response = client.post("/accounts/login/", {"username": viewer.username, "password": PASSWORD})
    assert response.status_code == 302
    assert User.objects.get(pk=viewer.pk).last_login is not None
    assert caching.data_token() == before


def test_the_list_shows_a_new_title_right_after_an_edit(viewer_client, seed):
    old_title = "Discuss enhancing the exchange of Earth observation satellite data"
    assert old_title in viewer_client.get("/commitments/").content.decode()
    commitment = first_commitment()
    commitment.title = "Share satellite imagery"
    commitment.save()
    page = viewer_client.get("/commitments/").content.decode()
    assert "Share satellite imagery" in page
    assert old_title not in page


def test_filter_counts_and_results_follow_a_posted_update(viewer_client, seed, editor):
    url = "/commitments/?status=off_track"
    assert viewer_client.get(url, **HTMX).context["browser"].total == 0
    post(editor)
    response = viewer_client.get(url, **HTMX)
    assert response.context["browser"].total == 1
    assert "Off track" in response.content.decode()


def test_the_overview_follows_a_posted_update(viewer_client, seed, editor):
    assert "1 off track" not in viewer_client.get("/").content.decode()
    post(editor)
    assert "1 off track" in viewer_client.get("/").content.decode()


def test_a_cached_page_is_the_same_for_every_user(viewer_client, seed, editor, client):
    """Nothing user-specific is inside the cached part: the header still names who is logged in."""
    assert "viewer" in viewer_client.get("/commitments/").content.decode()
    client.force_login(editor)
    page = client.get("/commitments/").content.decode()
    assert '<span class="who">editor</span>' in page


def test_answers_are_filed_by_day(monkeypatch):
    """Overdue and stale depend on the date, so yesterday's answers are not served today."""
    today = caching.versioned_key("token", ("q",))
    tomorrow = datetime.date.today() + datetime.timedelta(days=1)
    monkeypatch.setattr(caching.timezone, "localdate", lambda: tomorrow)
    assert caching.versioned_key("token", ("q",)) != today


def test_the_commitment_page_follows_a_posted_update(viewer_client, seed, editor):
    url = f"/commitments/{first_commitment().pk}/"
    assert "Reported." not in viewer_client.get(url).content.decode()
    post(editor)
    page = viewer_client.get(url).content.decode()
    assert "Reported." in page
    assert '<span class="status status-off_track">Off track</span>' in page


def test_an_unknown_commitment_is_still_not_found_when_asked_again(viewer_client, seed):
    assert viewer_client.get("/commitments/999999/").status_code == 404
    assert viewer_client.get("/commitments/999999/").status_code == 404


def test_with_a_cache_url_the_pages_are_kept_in_redis(viewer_client, seed, redis_url):
    import redis

    server = redis.Redis.from_url(redis_url)
    with override_settings(CACHES={"default": page_cache(redis_url)}):
        cache.clear()
        viewer_client.get("/commitments/")
        assert server.keys("tracker:*"), "the list's parts were not stored in Redis"


def test_a_cache_url_that_is_not_redis_is_refused_with_a_message():
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured, match="TRACKER_CACHE_URL must be a Redis address"):
        page_cache("memcached://127.0.0.1:11211")


def test_writes_in_one_change_give_the_data_one_new_token(seed, editor):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    before = caching.data_token()
    with CaptureQueriesContext(connection) as queries, caching.one_change():
        post(editor)
        first_commitment().save()
        first_commitment().themes.clear()
    stamps = [
        q["sql"] for q in queries.captured_queries if "tracker_datastamp" in q["sql"] and "UPDATE" in q["sql"]
    ]
    assert len(stamps) == 1
    assert caching.data_token() != before


def test_a_batch_rolled_back_leaves_the_token_and_the_next_write_moves_it(seed, editor):
    from django.db import transaction

    before = caching.data_token()
    with pytest.raises(RuntimeError), transaction.atomic(), caching.one_change():
        first_commitment().save()
        raise RuntimeError("the import failed")
    assert caching.data_token() == before
    first_commitment().save()  # outside any batch again: at once
    assert caching.data_token() != before


# --- blank forms: cached by what they show, not by the data token (forms.BlankFieldsCached) -------


def test_the_update_form_starts_from_where_the_commitment_stands_after_an_update(editor_client, seed, editor):
    url = f"/commitments/{first_commitment().pk}/"
    assert 'name="progress" value="10"' not in editor_client.get(url).content.decode()
    post(editor)
    form = editor_client.get(url).content.decode().split('id="update-form"')[1].split("</form>")[0]
    assert 'name="progress" value="10"' in form
    assert '<option value="off_track" selected>' in form


def test_each_commitment_offers_the_update_form_from_its_own_state(editor_client, seed, editor):
    post(editor)  # the first commitment is off track at 10 %; the other stands where the seed put it
    other = Commitment.objects.exclude(pk=first_commitment().pk).exclude(progress=10).first()
    editor_client.get(f"/commitments/{first_commitment().pk}/")
    page = editor_client.get(f"/commitments/{other.pk}/").content.decode()
    form = page.split('id="update-form"')[1].split("</form>")[0]
    assert f'name="progress" value="{other.progress}"' in form
    assert 'name="progress" value="10"' not in form


def test_the_assessment_form_offers_a_round_planned_at_once(editor_client, seed):
    url = f"/commitments/{first_commitment().pk}/"
    add_round()
    editor_client.get(url)  # the form, at that round
    dialogue = first_commitment().dialogue
    # Planned: the form still starts at the latest round held, so only its choices change.
    added = Round.objects.create(
        dialogue=dialogue,
        number=dialogue.rounds.count() + 1,
        held_on=datetime.date.today() + datetime.timedelta(days=30),
    )
    form = editor_client.get(url).content.decode().split('id="assessment-form"')[1].split("</form>")[0]
    assert f'<option value="{added.pk}"' in form


def test_a_blank_form_is_filed_apart_for_each_language_and_starting_value(seed):
    from django.utils import translation

    from tracker.forms import status_update_form_for

    commitment = first_commitment()
    english = caching.blank_form_key(status_update_form_for(commitment))
    with translation.override("fr"):
        assert caching.blank_form_key(status_update_form_for(commitment)) != english
    commitment.progress += 1
    assert caching.blank_form_key(status_update_form_for(commitment)) != english


def test_a_refused_update_shows_what_was_typed_not_the_blank_form(editor_client, seed):
    url = f"/commitments/{first_commitment().pk}/"
    editor_client.get(url)  # the blank form, now cached
    refused = editor_client.post(
        f"{url}updates/", {"status": "on_track", "progress": "250", "text": "Typed."}
    )
    assert refused.status_code == 422
    assert "Typed." in refused.content.decode()
