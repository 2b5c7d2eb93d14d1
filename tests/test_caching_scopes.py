"""Lists narrowed to agencies, themes, countries or dialogues keep their cached answers through the
state moves of commitments outside them, and never show anything a fresh computation would not
(tracker/caching.py: the structure token and the scopes' tokens)."""

import re

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.db.models import ProtectedError
from django.http import QueryDict
from django.utils import translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import make_agency, make_commitment, make_dialogue, make_theme
from tests.test_caching_state import PDF, day, write
from tests.test_counts import (
    NUMBER,
    add_participation,
    add_theme,
    change_participations_agency,
    create_commitment,
    delete_commitment,
    edit_in_the_admin,
    move_agency_to_another_country,
    move_to_another_dialogue,
    pick,
    post_status_update,
    remove_participation,
    remove_theme,
    save_state_directly,
    status_and_reason,
)
from tracker import caching, services
from tracker.models import Agency, Commitment, ScopeStamp, StatusUpdate, Theme
from tracker.rules import Status
from tracker.selectors import CommitmentBrowser

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def world(db):
    """Two dialogues, three themes, five agencies in three countries, six commitments, the first
    commitment blocked by the last (in another dialogue, with other themes), and the second with two
    sub-commitments."""
    dialogues = [make_dialogue(slug="d-one"), make_dialogue(slug="d-two")]
    themes = [make_theme(dialogues[i % 2], slug=f"t{i}") for i in range(3)]
    agencies = [make_agency(slug=f"a{i}", country=["US", "FR", "GB"][i % 3]) for i in range(5)]
    commitments = [
        make_commitment(
            dialogues[i % 2],
            themes=themes[i % 3 : i % 3 + 1],
            agencies=agencies[i % 5 : i % 5 + 1],
            slug=f"w{i}",
            title=f"Map the seabed {i}",
        )
        for i in range(6)
    ]
    commitments[0].blocked_by.add(commitments[5])
    Commitment.objects.filter(pk__in=[commitments[2].pk, commitments[4].pk]).update(parent=commitments[1])
    return commitments


# Lists of every kind, scoped and not, with the world's names.
QUERIES = [
    "agency=a0",
    "agency=a1&agency=a3",
    "agency=a2&role=lead",
    "agency=a4&role=partner",
    "theme=t0",
    "theme=t1&theme=t2&sort=-progress",
    "country=FR",
    "country=US&sort=-updated",
    "dialogue=d-one",
    "dialogue=d-two&q=seabed",
    "theme=t0&agency=a0",
    "agency=a0&sort=-rollup",
    "",
    "status=on_track",
    "theme=t0&status=not_started",
    "blocked=1",
    "stale=1",
]


def todays_list_key(query: str) -> str:
    with translation.override("en"):
        return CommitmentBrowser(QueryDict(query), 50).cache_key


# Per request, outside what the cache holds: the forms' CSRF tokens, and the message a write left.
PER_REQUEST = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"|<ul class="messages">.*?</ul>', re.DOTALL)


def pages(client) -> dict[str, str]:
    """Every list of QUERIES as its htmx fragment (all of it is what the cache holds), and every
    commitment's page: its main content, but what is new on every page (PER_REQUEST), its spaces
    collapsed (a message leaves blank lines where it was)."""
    answers = {}
    for query in QUERIES:
        response = client.get(f"/commitments/?{query}", **HTMX)
        assert response.status_code == 200, query
        answers[query] = response.content.decode()
    for pk in Commitment.objects.order_by("pk").values_list("pk", flat=True):
        html = client.get(f"/commitments/{pk}/").content.decode()
        answers[f"commitment {pk}"] = " ".join(
            PER_REQUEST.sub("", html[html.index("<main") : html.index("</main>")]).split()
        )
    return answers


# --- which lists are scoped ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "scopes"),
    [
        ("agency=a0", ["agency:a0"]),
        ("agency=a0&agency=a1&role=lead", ["agency:a0", "agency:a1"]),
        ("theme=t0&agency=a0&q=sea&sort=title&page=2", ["agency:a0"]),
        ("theme=t0&dialogue=d-one", ["theme:t0"]),
        ("country=FR&dialogue=d-one", ["country:FR"]),
        ("dialogue=d-one&sort=-updated", ["dialogue:d-one"]),
        ("agency=a0&status=", ["agency:a0"]),  # an empty value is no filter
    ],
)
def test_lists_narrowed_only_by_what_a_state_cannot_change_are_scoped(db, query, scopes):
    assert CommitmentBrowser(QueryDict(query), 50).scopes == scopes


@pytest.mark.parametrize(
    "query",
    [
        "",
        "q=sea",
        "role=lead",
        "sort=title",
        "agency=a0&status=on_track",
        "theme=t0&reason=technical",
        "dialogue=d-one&due=overdue",
        "agency=a0&stale=1",
        "agency=a0&blocked=1",
        "agency=a0&sort=-rollup",
        "agency=a0&unknown=1",
        "agency=a0&agency=a%00",
    ],
)
def test_other_lists_keep_the_state_token(db, query):
    browser = CommitmentBrowser(QueryDict(query), 50)
    assert browser.scopes is None
    assert browser.token == caching.data_tokens()[1]


def test_a_past_days_list_is_not_scoped(db):
    assert CommitmentBrowser(QueryDict("agency=a0"), 50, day(30)).scopes is None


# --- what a state move retires ---------------------------------------------------------------------


def post(commitment, editor, status=Status.OFF_TRACK, days_ago=0, text="Moved."):
    return write(commitment, editor, status, days_ago, text)


def test_a_state_move_outside_a_scope_keeps_its_list_and_one_inside_retires_it(world, viewer_client, editor):
    before = viewer_client.get("/commitments/?agency=a1", **HTMX).content
    key = todays_list_key("agency=a1")
    post(world[2], editor)  # agency a2
    assert todays_list_key("agency=a1") == key
    assert viewer_client.get("/commitments/?agency=a1", **HTMX).content == before
    post(world[1], editor)  # agency a1
    assert todays_list_key("agency=a1") != key
    statuses = viewer_client.get("/commitments/?agency=a1", **HTMX).context["browser"].facets[0]
    assert {o.value: o.count for o in statuses.options}[Status.OFF_TRACK] == 1


def test_a_blockers_move_retires_the_lists_of_what_it_blocks(world, viewer_client, editor):
    """w0 (theme t0) is blocked by w5 (theme t2): w5 off track, the list of theme t0 says w0 is
    blocked; w5 back on track, it no longer does."""
    assert not Theme.objects.filter(slug="t0", commitments=world[5]).exists()
    blocked = "flag-blocked"
    assert blocked not in viewer_client.get("/commitments/?theme=t0", **HTMX).content.decode()
    post(world[5], editor, status=Status.OFF_TRACK)
    assert blocked in viewer_client.get("/commitments/?theme=t0", **HTMX).content.decode()
    key = todays_list_key("theme=t0")
    post(world[5], editor, status=Status.ON_TRACK, text="Back on track.")
    assert todays_list_key("theme=t0") != key
    assert blocked not in viewer_client.get("/commitments/?theme=t0", **HTMX).content.decode()


def test_a_write_to_the_trail_that_leaves_the_state_moves_only_its_commitments_page(world, editor):
    post(world[1], editor, status=Status.ON_TRACK, days_ago=10, text="First.")
    scopes = dict(ScopeStamp.objects.values_list("scope", "token"))
    key = todays_list_key("agency=a1")
    post(world[1], editor, status=Status.AT_RISK, days_ago=20, text="Written late.")
    after = dict(ScopeStamp.objects.values_list("scope", "token"))
    changed = {scope for scope in after if after[scope] != scopes.get(scope)}
    assert changed == {f"commitment:{world[1].pk}"}
    assert todays_list_key("agency=a1") == key


def test_a_state_move_replaces_the_tokens_of_its_scopes_and_of_what_it_blocks(world, editor):
    post(world[5], editor)
    moved = set(ScopeStamp.objects.values_list("scope", flat=True))
    # w5: dialogue d-two, theme t2, agency a0 (US); w0, which it blocks: d-one, t0, a0 (US); the
    # pages of both (w0's lists w5 among its blockers).
    assert moved == {
        "dialogue:d-two",
        "theme:t2",
        "agency:a0",
        "country:US",
        "dialogue:d-one",
        "theme:t0",
        f"commitment:{world[5].pk}",
        f"commitment:{world[0].pk}",
    }


def test_other_writes_retire_every_scoped_list(world, editor):
    key = todays_list_key("agency=a1")
    Agency.objects.get(slug="a3").save()
    assert todays_list_key("agency=a1") != key


def test_a_state_move_in_a_batch_retires_everything(world, editor):
    key = todays_list_key("agency=a1")
    with transaction.atomic(), caching.one_change():
        post(world[2], editor)
    assert todays_list_key("agency=a1") != key


# --- a cached list is always the list computed afresh --------------------------------------------


def backdated_update(a, b, c, editor, **_):
    status, _reason = status_and_reason(b)
    write(pick(Commitment.objects.all(), a), editor, status, 1 + c % 60, f"Late {a} {b} {c}.")


def withdraw_latest(a, editor, **_):
    update = pick(StatusUpdate.objects.counting().order_by("-reported_on", "-created_at", "-id"), a)
    if update:
        services.status_update_withdraw(update=update, by=editor, reason="Wrong commitment.")


def restore_withdrawn(a, editor, **_):
    update = pick(StatusUpdate.objects.filter(withdrawn_at__isnull=False), a)
    if update:
        services.status_update_restore(update=update, by=editor, reason="It was right.")


def delete_an_update(a, editor, **_):
    update = pick(StatusUpdate.objects.all(), a)
    if update:
        try:
            services.status_update_delete(update=update, by=editor)
        except ProtectedError:
            pass  # it has evidence files: the trail keeps it


def attach_evidence(a, editor, **_):
    update = pick(StatusUpdate.objects.all(), a)
    if update:
        services.evidence_files_attach(
            checked=services.evidence_files_check([SimpleUploadedFile("report.pdf", PDF)]),
            uploaded_by=editor,
            status_update=update,
        )


def set_parent(a, b, **_):
    child, parent = pick(Commitment.objects.all(), a), pick(Commitment.objects.all(), b)
    if child != parent and parent.parent_id is None and not child.children.exists():
        child.parent = parent
        child.save()


def block(a, b, **_):
    blocked, blocker = pick(Commitment.objects.all(), a), pick(Commitment.objects.all(), b)
    if blocked != blocker and not blocker.blocked_by.filter(pk=blocked.pk).exists():
        blocked.blocked_by.add(blocker)


def unblock(a, **_):
    commitment = pick(Commitment.objects.filter(blocked_by__isnull=False).distinct(), a)
    if commitment:
        commitment.blocked_by.remove(commitment.blocked_by.first())


# The app's writes: through the services, the models' saves and the admin (never a bare UPDATE,
# which tracker/caching.py asks to be followed by data_changed()). State moves are weighted up.
WRITES = [
    post_status_update,
    post_status_update,
    post_status_update,
    backdated_update,
    withdraw_latest,
    restore_withdrawn,
    delete_an_update,
    attach_evidence,
    block,
    unblock,
    set_parent,
    create_commitment,
    save_state_directly,
    move_to_another_dialogue,
    add_theme,
    remove_theme,
    add_participation,
    remove_participation,
    change_participations_agency,
    move_agency_to_another_country,
    delete_commitment,
    edit_in_the_admin,
]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(writes=st.lists(st.tuples(st.sampled_from(WRITES), NUMBER, NUMBER, NUMBER), min_size=1, max_size=8))
def test_every_list_served_from_the_cache_is_the_list_computed_afresh(world, admin_client, editor, writes):
    """After each write, every list of QUERIES and every commitment's page is read (from the cache
    where it was kept), then computed again with the cache emptied: the two are the same."""
    with transaction.atomic():  # each example starts from the world: its writes are undone after it
        cache.clear()
        pages(admin_client)
        for write, a, b, c in writes:
            write(a=a, b=b, c=c, editor=editor, admin_client=admin_client)
            served = pages(admin_client)
            cache.clear()
            fresh = pages(admin_client)  # and kept for the next write
            stale = [page for page in fresh if served.get(page) != fresh[page]]
            assert stale == [], f"after {write.__name__}({a}, {b}, {c})"
        transaction.set_rollback(True)
    cache.clear()
