"""Writes to the trail alone keep today's list cached, and still no page shows data older than the
last write (tracker/caching.py: the token and the state token).

Two halves make that safe, and each has its tests here: today's list reads no table of the trail
(its SQL is checked, for every kind of filter, as a page and as a fragment), and every write to the
trail that moves a commitment's state replaces the state token too (each kind of write, through the
services, the page, the API, the admin and a spreadsheet import)."""

import datetime

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from tests.factories import reason_for
from tests.test_admin_import import import_file, update_rows, xlsx_file
from tracker import caching, selectors, services
from tracker.filters import SORTS
from tracker.models import Agency, Commitment, StatusUpdate, Theme, TokenScope
from tracker.rules import SlipReason, Status
from tracker.services.api_tokens import api_token_create

HTMX = {"HTTP_HX_REQUEST": "true"}
TRAIL_TABLES = [model._meta.db_table for model in caching.TRAIL_MODELS]
# The smallest file tracker/evidence.py accepts as a PDF.
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def day(days_ago: int) -> datetime.date:
    return timezone.localdate() - datetime.timedelta(days=days_ago)


def write(commitment, author, status, days_ago, text):
    return services.status_update_create(
        commitment=commitment,
        author=author,
        status=status,
        **reason_for(status),
        progress=20,
        text=text,
        reported_on=day(days_ago),
    )


@pytest.fixture
def commitment(seed, editor):
    """A commitment with two updates: on track 30 days ago, then at risk 10 days ago (its state)."""
    commitment = Commitment.objects.get(slug="objective-stem-education")
    write(commitment, editor, Status.ON_TRACK, 30, "First report.")
    write(commitment, editor, Status.AT_RISK, 10, "Latest report.")
    commitment.refresh_from_db()
    return commitment


def older(commitment):
    return commitment.updates.get(text="First report.")


def latest(commitment):
    return commitment.updates.get(text="Latest report.")


def body(response) -> str:
    """The page's main content: what the cache holds (the header carries a fresh CSRF token)."""
    html = response.content.decode()
    return html[html.index("<main") : html.index("</main>")]


def latest_updates_shown(response) -> str:
    html = body(response)
    section = html[html.index('aria-labelledby="latest-heading"') :]
    return section[: section.index("</section>")]


def overview_state_key() -> str:
    """Where the overview's parts that show only the state are filed (see todays_list_key)."""
    with translation.override("en"):
        return selectors.Overview().state_cache_key


def todays_list_key(query: str = "") -> str:
    """Where today's list is filed in the cache (the key holds the language: one, whatever ran before)."""
    with translation.override("en"):
        return selectors.CommitmentBrowser(QueryDict(query), 50).cache_key


# --- today's list reads only today's state -------------------------------------------------------


def list_queries(commitment) -> list[str]:
    """A query string for every filter and sort of the list, with values taken from the data."""
    agency = Agency.objects.filter(participations__commitment=commitment).first()
    theme = Theme.objects.filter(commitments=commitment).first()
    return [
        "",
        f"dialogue={commitment.dialogue.slug}",
        f"theme={theme.slug}&status=at_risk",
        f"agency={agency.slug}&role=lead",
        f"country={agency.country}",
        f"reason={SlipReason.TECHNICAL}",
        "due=overdue&due=soon",
        "stale=1",
        "blocked=1",
        "q=education",
        "page=2",
        *[f"sort={key}" for key in SORTS if key],
    ]


def trail_reads(queries) -> list[str]:
    return [query["sql"] for query in queries if any(f'"{table}"' in query["sql"] for table in TRAIL_TABLES)]


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["page", "fragment"])
def test_todays_list_reads_no_table_of_the_trail(viewer_client, commitment, headers):
    """What makes keying today's list on the state token safe: nothing it shows comes from the
    trail, only from the commitments' stored state, which a write that moves it always retires."""
    commitment.blocked_by.add(Commitment.objects.exclude(pk=commitment.pk).first())
    for query in list_queries(commitment):
        cache.clear()
        with CaptureQueriesContext(connection) as queries:
            assert viewer_client.get(f"/commitments/?{query}", **headers).status_code == 200
        assert trail_reads(queries) == [], query


def test_a_past_days_list_reads_the_trail_and_keys_on_every_write(viewer_client, commitment):
    """The check above can see a read of the trail: a past day's list makes one, so it keeps the token
    every write replaces."""
    with CaptureQueriesContext(connection) as queries:
        viewer_client.get(f"/commitments/?as_of={day(20).isoformat()}")
    assert trail_reads(queries)
    token, state_token = caching.data_tokens()
    assert selectors.CommitmentBrowser(QueryDict(""), 50, day(20)).token == token
    assert selectors.CommitmentBrowser(QueryDict(""), 50).token == state_token


def test_the_overview_but_its_latest_updates_reads_no_table_of_the_trail(
    viewer_client, commitment, monkeypatch
):
    """What makes filing the rest of the overview under the state token safe (the latest updates
    are cached apart, under the token every write replaces)."""
    commitment.blocked_by.add(Commitment.objects.exclude(pk=commitment.pk).first())
    for url in ["/", f"/?dialogue={commitment.dialogue.slug}"]:
        with CaptureQueriesContext(connection) as queries:
            viewer_client.get(url)
        assert trail_reads(queries), "the latest updates are read from the trail"
        cache.clear()
        monkeypatch.setattr(selectors.Overview, "latest_rows", [])  # what the page prints of them
        with CaptureQueriesContext(connection) as queries:
            assert viewer_client.get(url).status_code == 200
        assert trail_reads(queries) == [], url
        monkeypatch.undo()
        cache.clear()


# --- which token each kind of write replaces ----------------------------------------------------

TRAIL_ONLY_WRITES = {
    "an update dated before the latest": lambda c, editor: write(c, editor, Status.OFF_TRACK, 20, "Late."),
    "evidence added to an update": lambda c, editor: services.evidence_files_attach(
        checked=services.evidence_files_check([SimpleUploadedFile("report.pdf", PDF)]),
        uploaded_by=editor,
        status_update=older(c),
    ),
    "an older update withdrawn": lambda c, editor: services.status_update_withdraw(
        update=older(c), by=editor, reason="Wrong commitment."
    ),
    "an older update deleted": lambda c, editor: services.status_update_delete(update=older(c), by=editor),
}

STATE_MOVING_WRITES = {
    "an update of today": lambda c, editor: write(c, editor, Status.OFF_TRACK, 0, "Today."),
    "an update dated after the latest": lambda c, editor: write(c, editor, Status.ON_TRACK, 5, "Better."),
    "the latest update withdrawn": lambda c, editor: services.status_update_withdraw(
        update=latest(c), by=editor, reason="Wrong commitment."
    ),
    "the latest update deleted": lambda c, editor: services.status_update_delete(update=latest(c), by=editor),
}


@pytest.mark.parametrize("write_kind", TRAIL_ONLY_WRITES)
def test_a_write_to_the_trail_alone_keeps_the_state_token(commitment, editor, write_kind):
    token, state_token = caching.data_tokens()
    TRAIL_ONLY_WRITES[write_kind](commitment, editor)
    assert caching.data_tokens()[0] != token
    assert caching.data_tokens()[1] == state_token


@pytest.mark.parametrize("write_kind", STATE_MOVING_WRITES)
def test_a_write_to_the_trail_that_moves_the_state_replaces_both_tokens(commitment, editor, write_kind):
    before = commitment.status, commitment.progress, commitment.last_update_on
    token, state_token = caching.data_tokens()
    STATE_MOVING_WRITES[write_kind](commitment, editor)
    commitment.refresh_from_db()
    assert (commitment.status, commitment.progress, commitment.last_update_on) != before
    assert caching.data_tokens()[0] != token
    assert caching.data_tokens()[1] != state_token


def test_restoring_the_latest_update_replaces_both_tokens(commitment, editor):
    withdrawn = services.status_update_withdraw(update=latest(commitment), by=editor, reason="Oops.")
    token, state_token = caching.data_tokens()
    services.status_update_restore(update=withdrawn, by=editor, reason="It was right.")
    assert caching.data_tokens()[0] != token
    assert caching.data_tokens()[1] != state_token


def test_one_change_keeps_the_state_token_when_only_the_trail_changed(commitment, editor):
    token, state_token = caching.data_tokens()
    with caching.one_change():
        caching.trail_changed(commitment.pk)
        caching.trail_changed(commitment.pk)
    assert caching.data_tokens()[0] != token
    assert caching.data_tokens()[1] == state_token
    token = caching.data_tokens()[0]
    with caching.one_change():
        caching.trail_changed(commitment.pk)
        caching.data_changed()
        caching.trail_changed(commitment.pk)
    assert caching.data_tokens()[0] != token
    assert caching.data_tokens()[1] != state_token


# --- what people see, right after each kind of write ----------------------------------------------


def update_url(commitment):
    return reverse("tracker:statusupdate_create", args=[commitment.pk])


def test_an_update_dated_before_the_latest_shows_at_once_wherever_the_trail_is_read(
    editor_client, commitment
):
    """Posted on the page: the commitment's page, the overview's latest updates and the list as of
    its date show it at once; today's list keeps its cached answer, which it does not change."""
    past_list = f"/commitments/?as_of={day(20).isoformat()}&status=off_track"
    pages = ["/commitments/", commitment.get_absolute_url(), "/", past_list]
    before = {url: editor_client.get(url) for url in pages}
    assert "15%" not in latest_updates_shown(before["/"])
    assert "Written late." not in body(before[commitment.get_absolute_url()])
    keys = todays_list_key(), overview_state_key()
    response = editor_client.post(
        update_url(commitment),
        {
            "status": "off_track",
            "reason": SlipReason.TECHNICAL,
            "progress": "15",
            "text": "Written late.",
            "reported_on": day(20).isoformat(),
        },
        **HTMX,
    )
    assert response.status_code == 200
    assert "Written late." in editor_client.get(commitment.get_absolute_url()).content.decode()
    assert "15%" in latest_updates_shown(editor_client.get("/"))
    assert editor_client.get(past_list).context["browser"].total == 1
    assert (todays_list_key(), overview_state_key()) == keys
    assert body(editor_client.get("/commitments/")) == body(before["/commitments/"])
    commitment.refresh_from_db()
    assert commitment.status == Status.AT_RISK  # still its state today


def test_the_overviews_charts_show_an_update_dated_before_the_latest_at_once(
    editor_client, editor, commitment
):
    """The charts (status over the last 12 months) are read from the trail: any write to it retires them."""
    charts = reverse("tracker:overview_charts")
    before = editor_client.get(charts, **HTMX).content
    # The end of a month before its first update: a month the charts show, whose state this changes.
    month_end = day(30).replace(day=1) - datetime.timedelta(days=1)
    write(commitment, editor, Status.OFF_TRACK, (timezone.localdate() - month_end).days, "Written late.")
    assert editor_client.get(charts, **HTMX).content != before


def test_an_update_of_today_posted_on_the_page_moves_the_list_at_once(editor_client, commitment):
    url = "/commitments/?status=off_track"
    assert editor_client.get(url, **HTMX).context["browser"].total == 0
    response = editor_client.post(
        update_url(commitment),
        {
            "status": "off_track",
            "reason": SlipReason.TECHNICAL,
            "progress": "15",
            "text": "Stuck.",
            "reported_on": day(0).isoformat(),
        },
        **HTMX,
    )
    assert response.status_code == 200, response.content.decode()
    assert editor_client.get(url, **HTMX).context["browser"].total == 1


def test_withdrawing_the_latest_update_on_the_page_moves_the_list_at_once(editor_client, commitment):
    url = "/commitments/?status=at_risk"
    assert commitment.pk in [c.pk for c in editor_client.get(url).context["browser"].page]
    withdraw = reverse("tracker:statusupdate_withdraw", args=[commitment.pk, latest(commitment).pk])
    assert editor_client.post(withdraw, {"reason": "Wrong commitment."}).status_code == 302
    assert commitment.pk not in [c.pk for c in editor_client.get(url).context["browser"].page]
    on_track = editor_client.get("/commitments/?status=on_track").context["browser"].page
    assert commitment.pk in [c.pk for c in on_track]


def test_withdrawing_an_older_update_shows_on_its_page_at_once(editor_client, commitment):
    page = editor_client.get(commitment.get_absolute_url()).content.decode()
    assert "Wrong commitment." not in page
    key = todays_list_key()
    withdraw = reverse("tracker:statusupdate_withdraw", args=[commitment.pk, older(commitment).pk])
    assert editor_client.post(withdraw, {"reason": "Wrong commitment."}).status_code == 302
    assert "Wrong commitment." in editor_client.get(commitment.get_absolute_url()).content.decode()
    assert todays_list_key() == key


def test_evidence_added_to_an_update_shows_on_its_page_at_once(editor_client, editor, commitment):
    assert "report.pdf" not in editor_client.get(commitment.get_absolute_url()).content.decode()
    TRAIL_ONLY_WRITES["evidence added to an update"](commitment, editor)
    assert "report.pdf" in editor_client.get(commitment.get_absolute_url()).content.decode()


def test_deleting_the_latest_update_in_the_admin_moves_the_list_at_once(admin_client, commitment):
    url = "/commitments/?status=at_risk"
    assert admin_client.get(url).context["browser"].total == 1
    delete = reverse("admin:tracker_statusupdate_delete", args=[latest(commitment).pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 302
    assert admin_client.get(url).context["browser"].total == 0


def test_an_update_posted_through_the_api_shows_at_once(client, editor, commitment):
    _token, text = api_token_create(user=editor, name="sync", scope=TokenScope.READ_POST, expires_on=day(-30))
    client.force_login(editor)
    key = todays_list_key()
    late = {"status": "on_track", "progress": 25, "text": "Sent late.", "reported_on": day(20).isoformat()}
    response = client.post(
        f"/api/v1/commitments/{commitment.pk}/updates/",
        late,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {text}",
    )
    assert response.status_code == 201, response.content
    assert "Sent late." in client.get(commitment.get_absolute_url()).content.decode()
    assert todays_list_key() == key
    today = {"status": "completed", "progress": 100, "text": "Done."}
    response = client.post(
        f"/api/v1/commitments/{commitment.pk}/updates/",
        today,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {text}",
    )
    assert response.status_code == 201, response.content
    assert client.get("/commitments/?status=completed").context["browser"].total == 1


def test_updates_imported_from_a_spreadsheet_show_at_once(admin_client, commitment):
    dialogue = commitment.dialogue.slug
    key = todays_list_key()
    rows = update_rows([dialogue, commitment.slug, day(20), "on_track", 25, "Imported late.", "", ""])
    import_file(admin_client, StatusUpdate, xlsx_file(rows))
    assert "Imported late." in admin_client.get(commitment.get_absolute_url()).content.decode()
    assert todays_list_key() == key
    rows = update_rows([dialogue, commitment.slug, day(0), "completed", 100, "Imported today.", "", ""])
    import_file(admin_client, StatusUpdate, xlsx_file(rows))
    assert admin_client.get("/commitments/?status=completed").context["browser"].total == 1
