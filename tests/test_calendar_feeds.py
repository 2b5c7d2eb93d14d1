"""Calendar feeds (issue 14): a person's feed of what they follow and one per dialogue, read by
calendar programs through a secret address, parsed back here with the icalendar package."""

import datetime
import os
from pathlib import Path

import icalendar
import pytest
from django.contrib.auth.models import User
from django.test import Client, override_settings
from django.utils import timezone

from tracker import services
from tracker.exports.ical import feed_bytes, feed_calendar
from tracker.models import Agency, Commitment, Dialogue, Follow, Participation, Status, Theme
from tracker.selectors.calendar import FeedEvent
from tracker.services.calendar import (
    calendar_token_get_or_create,
    calendar_token_reset,
    calendar_token_string,
)

pytestmark = pytest.mark.django_db

ARTIFACTS = Path(
    os.environ.get("TRACKER_SCREENSHOTS", Path(__file__).resolve().parents[1] / "test-artifacts")
)
SECRET_TEXT = "Zanzibar-rationale-never-in-a-calendar"
DUE = datetime.date(2027, 3, 31)


@pytest.fixture
def world():
    space = Dialogue.objects.create(
        name="Space dialogue", slug="space", parties="US,FR", announced_on=datetime.date(2021, 11, 10)
    )
    ocean = Dialogue.objects.create(
        name="Ocean dialogue",
        slug="ocean",
        parties="US,FR",
        announced_on=datetime.date(2022, 1, 1),
        review_every_days=30,
    )
    climate = Theme.objects.create(name="Climate", slug="climate", dialogue=ocean)
    nasa = Agency.objects.create(name="NASA", slug="nasa", country="US")

    def commitment(title, dialogue, **extra):
        return Commitment.objects.create(
            title=title,
            dialogue=dialogue,
            announced_on=dialogue.announced_on,
            description=f"{SECRET_TEXT} description",
            **extra,
        )

    made = {
        "data": commitment("Exchange Earth observation data", space, due_on=DUE),
        "norms": commitment("Norms of outer space", space),
        "risks": commitment("Joint analysis of climate risks", ocean, due_on=datetime.date(2026, 1, 15)),
        "other": commitment("Ocean commitment nobody follows", ocean, due_on=datetime.date(2026, 6, 1)),
    }
    made["risks"].themes.add(climate)
    Participation.objects.create(commitment=made["risks"], agency=nasa, role="lead")
    return {"space": space, "ocean": ocean, "climate": climate, "nasa": nasa, **made}


@pytest.fixture
def ann(db):
    return User.objects.create(username="ann", email="ann@example.org")


def token_of(user) -> str:
    return calendar_token_string(calendar_token_get_or_create(user=user))


def fetch(url, client=None):
    """A feed as a calendar program fetches it: no login, no cookies."""
    response = (client or Client()).get(url)
    assert response.status_code == 200, response.status_code
    return response, icalendar.Calendar.from_ical(response.content)


def events(calendar) -> dict:
    return {str(event["UID"]): event for event in calendar.walk("VEVENT")}


def following_url(token):
    return f"/calendar/{token}/following.ics"


def dialogue_url(token, slug):
    return f"/calendar/{token}/dialogues/{slug}.ics"


# --- what a feed holds -----------------------------------------------------------------------------


def test_following_feed_holds_the_due_and_review_dates_of_what_is_followed(world, ann):
    Follow.objects.create(user=ann, dialogue=world["space"])
    Follow.objects.create(user=ann, agency=world["nasa"])
    response, calendar = fetch(following_url(token_of(ann)))
    found = events(calendar)
    data, risks, norms = world["data"], world["risks"], world["norms"]
    assert set(found) == {
        f"commitment-{data.pk}-due@127.0.0.1",
        f"commitment-{data.pk}-review@127.0.0.1",
        f"commitment-{norms.pk}-review@127.0.0.1",  # no due date: only its review
        f"commitment-{risks.pk}-due@127.0.0.1",
        f"commitment-{risks.pk}-review@127.0.0.1",
    }
    due = found[f"commitment-{data.pk}-due@127.0.0.1"]
    assert str(due["SUMMARY"]) == "Due: Exchange Earth observation data"
    # All day: a date, not a date-time.
    assert due.decoded("DTSTART") == DUE and not isinstance(due.decoded("DTSTART"), datetime.datetime)
    assert due.decoded("DTEND") == DUE + datetime.timedelta(days=1)
    assert str(due["URL"]) == f"http://127.0.0.1:8000/commitments/{data.pk}/"
    assert str(due["DESCRIPTION"]) == f"http://127.0.0.1:8000/commitments/{data.pk}/"
    assert str(due["STATUS"]) == "CONFIRMED"
    review = found[f"commitment-{data.pk}-review@127.0.0.1"]
    assert str(review["SUMMARY"]) == "Review: Exchange Earth observation data"
    # No update yet: announced 2021-11-10 plus the site's 90 days.
    assert review.decoded("DTSTART") == datetime.date(2022, 2, 8)
    # The ocean dialogue reviews every 30 days.
    assert found[f"commitment-{risks.pk}-review@127.0.0.1"].decoded("DTSTART") == datetime.date(2022, 1, 31)
    assert str(calendar["X-WR-CALNAME"]) == "Tracker: what I follow"
    assert str(calendar["VERSION"]) == "2.0"


def test_feed_headers_name_the_file_and_keep_shared_caches_out(world, ann):
    Follow.objects.create(user=ann, dialogue=world["space"])
    response, _ = fetch(following_url(token_of(ann)))
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="tracker-following.ics"'
    assert "private" in response["Cache-Control"]
    assert response["ETag"]
    again = Client().get(following_url(token_of(ann)), HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304


def test_dialogue_feed_holds_all_its_commitments_followed_or_not(world, ann):
    response, calendar = fetch(dialogue_url(token_of(ann), "ocean"))
    found = events(calendar)
    risks, other = world["risks"], world["other"]
    assert set(found) == {
        f"commitment-{risks.pk}-due@127.0.0.1",
        f"commitment-{risks.pk}-review@127.0.0.1",
        f"commitment-{other.pk}-due@127.0.0.1",
        f"commitment-{other.pk}-review@127.0.0.1",
    }
    assert str(calendar["X-WR-CALNAME"]) == "Tracker: Ocean dialogue"
    assert response["Content-Disposition"] == 'attachment; filename="tracker-ocean.ics"'


def test_nothing_followed_is_an_empty_calendar(world, ann):
    _, calendar = fetch(following_url(token_of(ann)))
    assert events(calendar) == {}


def test_feed_holds_titles_dates_and_links_only(world, ann, editor):
    data = world["data"]
    Commitment.objects.filter(pk=data.pk).update(quote=f"{SECRET_TEXT} quote")
    services.status_update_create(
        commitment=data,
        author=editor,
        status=Status.AT_RISK,
        progress=20,
        text=f"{SECRET_TEXT} update text",
        reason="funding",
        evidence_url="https://example.org/evidence-secret",
    )
    Follow.objects.create(user=ann, commitment=data)
    for url in (following_url(token_of(ann)), dialogue_url(token_of(ann), "space")):
        body = Client().get(url).content.decode()
        assert "Exchange Earth observation data" in body
        assert SECRET_TEXT not in body
        assert "evidence-secret" not in body
        assert "editor" not in body


@override_settings(TRACKER_SITE_URL="https://tracker.example.gov")
def test_links_and_uids_come_from_the_site_url(world, ann):
    Follow.objects.create(user=ann, commitment=world["data"])
    _, calendar = fetch(following_url(token_of(ann)))
    uid = f"commitment-{world['data'].pk}-due@tracker.example.gov"
    assert str(events(calendar)[uid]["URL"]) == f"https://tracker.example.gov/commitments/{world['data'].pk}/"


# --- events that update in place -------------------------------------------------------------------


def test_a_moved_due_date_keeps_its_uid_with_the_new_date_and_a_higher_sequence(world, ann):
    Follow.objects.create(user=ann, commitment=world["data"])
    url = following_url(token_of(ann))
    uid = f"commitment-{world['data'].pk}-due@127.0.0.1"
    _, before = fetch(url)
    data = Commitment.objects.get(pk=world["data"].pk)
    data.due_on = datetime.date(2027, 9, 30)
    data.save()
    _, after = fetch(url)
    old, new = events(before)[uid], events(after)[uid]
    assert old.decoded("DTSTART") == DUE
    assert new.decoded("DTSTART") == datetime.date(2027, 9, 30)
    assert int(new["SEQUENCE"]) > int(old["SEQUENCE"])
    assert new.decoded("DTSTAMP") >= old.decoded("DTSTAMP")


def test_an_update_moves_the_review_date_in_place(world, ann, editor):
    Follow.objects.create(user=ann, commitment=world["data"])
    url = following_url(token_of(ann))
    uid = f"commitment-{world['data'].pk}-review@127.0.0.1"
    _, before = fetch(url)
    today = timezone.localdate()
    services.status_update_create(
        commitment=world["data"], author=editor, status=Status.ON_TRACK, progress=40, text="Moving."
    )
    _, after = fetch(url)
    assert events(after)[uid].decoded("DTSTART") == today + datetime.timedelta(days=90)
    assert int(events(after)[uid]["SEQUENCE"]) > int(events(before)[uid]["SEQUENCE"])


@pytest.mark.parametrize("status", [Status.COMPLETED, Status.DISCONTINUED])
def test_a_closed_commitment_stays_in_the_feed_cancelled(world, ann, editor, status):
    Follow.objects.create(user=ann, commitment=world["data"])
    url = following_url(token_of(ann))
    due = f"commitment-{world['data'].pk}-due@127.0.0.1"
    _, before = fetch(url)
    services.status_update_create(
        commitment=world["data"],
        author=editor,
        status=status,
        progress=100 if status == Status.COMPLETED else 10,
        text="Closed.",
        **({"reason": "funding"} if status == Status.DISCONTINUED else {}),
    )
    _, after = fetch(url)
    assert str(events(after)[due]["STATUS"]) == "CANCELLED"
    assert events(after)[due].decoded("DTSTART") == DUE
    assert int(events(after)[due]["SEQUENCE"]) > int(events(before)[due]["SEQUENCE"])
    review = events(after)[f"commitment-{world['data'].pk}-review@127.0.0.1"]
    assert str(review["STATUS"]) == "CANCELLED"


# --- the secret address ----------------------------------------------------------------------------


def not_found_body(url):
    response = Client().get(url)
    assert response.status_code == 404
    return response.content


def test_a_wrong_a_reset_and_a_deactivated_token_get_the_same_404(world, ann):
    old = token_of(ann)
    Follow.objects.create(user=ann, dialogue=world["space"])
    fetch(following_url(old))
    key, _, signature = old.partition(".")
    wrong = not_found_body(following_url(f"{key}.{'A' * len(signature)}"))
    assert not_found_body(following_url("nonsense")) == wrong
    calendar_token_reset(user=ann)
    reset = not_found_body(following_url(old))
    assert not_found_body(dialogue_url(old, "space")) == reset
    fetch(following_url(token_of(ann)))  # the new address works at once
    bob = User.objects.create(username="bob", is_active=False)
    deactivated = not_found_body(following_url(token_of(bob)))
    assert wrong == reset == deactivated == b"There is no calendar feed at this address.\n"


def test_deactivating_a_user_stops_their_feeds_at_once(world, ann):
    token = token_of(ann)
    fetch(dialogue_url(token, "space"))
    User.objects.filter(pk=ann.pk).update(is_active=False)
    not_found_body(dialogue_url(token, "space"))
    not_found_body(following_url(token))


def test_an_unknown_dialogue_is_a_404(world, ann):
    not_found_body(dialogue_url(token_of(ann), "no-such-dialogue"))
    # A known dialogue behind a bad token says no more than an unknown one behind a good token.
    assert not_found_body(dialogue_url("bad.token", "space")) == not_found_body(
        dialogue_url(token_of(ann), "no-such-dialogue")
    )


def test_a_bad_token_sets_no_cookie(world):
    assert not Client().get(following_url("bad.token")).cookies


def test_a_feed_answers_get_and_head_only(world, ann):
    assert Client().post(following_url(token_of(ann))).status_code == 405
    assert Client().head(following_url(token_of(ann))).status_code == 200


# --- the calendar page -----------------------------------------------------------------------------


def test_calendar_page_shows_the_addresses(world, ann):
    client = Client()
    client.force_login(ann)
    page = client.get("/account/calendar/").content.decode()
    token = token_of(ann)
    assert f"http://127.0.0.1:8000/calendar/{token}/following.ics" in page
    assert f"webcal://127.0.0.1:8000/calendar/{token}/following.ics" in page
    assert f"http://127.0.0.1:8000/calendar/{token}/dialogues/space.ics" in page
    assert f"http://127.0.0.1:8000/calendar/{token}/dialogues/ocean.ics" in page
    assert 'href="/following/"' in page
    # The header links to it from every page.
    assert 'href="/account/calendar/"' in client.get("/").content.decode()


def test_calendar_page_needs_a_login(world):
    response = Client().get("/account/calendar/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_reset_replaces_every_address_and_breaks_the_old_ones(world, ann):
    client = Client()
    client.force_login(ann)
    client.get("/account/calendar/")
    old = token_of(ann)
    response = client.post("/account/calendar/reset/", follow=True)
    new = token_of(ann)
    assert new != old
    page = response.content.decode()
    assert f"/calendar/{new}/following.ics" in page and old not in page
    assert "no longer work" in page
    not_found_body(following_url(old))
    fetch(following_url(new))


def test_reset_needs_csrf_and_post(world, ann):
    client = Client(enforce_csrf_checks=True)
    client.force_login(ann)
    old = token_of(ann)
    assert client.post("/account/calendar/reset/").status_code == 403
    assert client.get("/account/calendar/reset/").status_code == 405
    assert token_of(ann) == old


def test_each_user_has_their_own_addresses(world, ann):
    bob = User.objects.create(username="bob")
    assert token_of(ann) != token_of(bob)
    assert token_of(ann) == token_of(ann)


# --- the writer ------------------------------------------------------------------------------------


def test_the_fast_writer_writes_what_icalendar_writes():
    changed = datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.UTC)
    titles = [
        "Short",
        "A title long enough to be folded across two lines, with commas, semicolons; and more",
        "Accents é à ü and “quotes” across the fold boundary of a long line of text here",
        "x" * 68 + "\\" + "y" * 90,
        "Line\nbreak and a \\N and \r\n and a caret ^ " + "z" * 60 + "^^^" + "é" * 40,
    ]
    made = [
        FeedEvent(
            uid=f"commitment-{i}-due@example.org",
            kind="due" if i % 2 else "review",
            day=datetime.date(2026, 1, 1) + datetime.timedelta(days=i),
            title=title,
            url=f"https://example.org/commitments/{i}/" + ("?a=b,c;d" + "q" * 80) * (i % 2),
            cancelled=bool(i % 2),
            sequence=i,
            # Written in UTC whatever zone the database gave it in.
            changed_at=changed.astimezone(datetime.timezone(datetime.timedelta(hours=i))),
        )
        for i, title in enumerate(titles)
    ]
    assert feed_bytes("Feed, with a comma", made) == feed_calendar("Feed, with a comma", made).to_ical()
    assert feed_bytes("Empty", []) == feed_calendar("Empty", []).to_ical()


# --- queries ---------------------------------------------------------------------------------------


def add_commitments(dialogue, n, editor):
    for i in range(n):
        commitment = Commitment.objects.create(
            title=f"Commitment {dialogue.slug} {Commitment.objects.count()}",
            dialogue=dialogue,
            announced_on=dialogue.announced_on,
            due_on=DUE + datetime.timedelta(days=i),
        )
        services.status_update_create(
            commitment=commitment, author=editor, status=Status.ON_TRACK, progress=10, text="x"
        )


@pytest.mark.parametrize("feed", ["following", "dialogue"])
def test_feed_query_count_does_not_grow_with_the_events(world, ann, editor, feed, django_assert_num_queries):
    """The token and its owner (1), the dialogue for its feed (1), the events (1)."""
    Follow.objects.create(user=ann, dialogue=world["space"])
    Follow.objects.create(user=ann, theme=world["climate"])
    token = token_of(ann)
    url = following_url(token) if feed == "following" else dialogue_url(token, "space")
    expected = 2 if feed == "following" else 3
    client = Client()
    sizes = []
    for more in (5, 45):
        add_commitments(world["space"], more, editor)
        with django_assert_num_queries(expected):
            response = client.get(url)
        sizes.append(len(events(icalendar.Calendar.from_ical(response.content))))
    assert sizes[1] > sizes[0] + 80


def test_calendar_page_query_count_does_not_grow_with_the_dialogues(ann, django_assert_num_queries):
    client = Client()
    client.force_login(ann)
    client.get("/account/calendar/")  # the token is made on the first visit
    for n in (2, 20):
        for i in range(n):
            Dialogue.objects.create(
                name=f"Dialogue {n}-{i}", slug=f"d-{n}-{i}", parties="US,FR", announced_on="2024-01-01"
            )
        # Session, user, token, dialogues.
        with django_assert_num_queries(4):
            assert client.get("/account/calendar/").status_code == 200


# --- the artifact ----------------------------------------------------------------------------------


def test_save_a_following_feed_for_the_note(world, ann, editor):
    """A feed as a calendar program receives it, kept in test-artifacts/ for the issue's note."""
    Follow.objects.create(user=ann, dialogue=world["space"])
    Follow.objects.create(user=ann, commitment=world["risks"])
    services.status_update_create(
        commitment=world["norms"], author=editor, status=Status.COMPLETED, progress=100, text="Done."
    )
    response, calendar = fetch(following_url(token_of(ann)))
    assert len(events(calendar)) == 5
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "following.ics").write_bytes(response.content)
