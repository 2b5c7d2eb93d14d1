"""Review dates and "due soon": the rule in both forms, the list filter, the list's column, the
commitment page and the overview's count."""

import csv
import datetime
import io

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import reason_for
from tracker import rules, services
from tracker.models import Agency, Commitment, Dialogue, Participation, Role, Status, StatusUpdate

D = datetime.date
DAY = datetime.timedelta(days=1)
FOUNDED = D(2021, 1, 1)


@pytest.fixture
def dialogue(db):
    return Dialogue.objects.create(name="Space", slug="space", parties="US,FR", announced_on=D(2021, 1, 1))


@pytest.fixture
def commit(dialogue):
    agency = Agency.objects.create(name="Space Agency", acronym="SA", slug="sa", country="US")
    made = []

    def make(title, announced_on=FOUNDED, due_on=None, review_every_days=None, in_dialogue=None):
        c = Commitment.objects.create(
            dialogue=in_dialogue or dialogue,
            slug=f"c{len(made)}",
            title=title,
            announced_on=announced_on,
            due_on=due_on,
            review_every_days=review_every_days,
        )
        Participation.objects.create(commitment=c, agency=agency, role=Role.LEAD)
        made.append(c)
        return c

    return make


def report(commitment, author, day, status=Status.ON_TRACK, progress=10):
    return services.status_update_create(
        commitment=commitment,
        author=author,
        status=status,
        **reason_for(status),
        progress=progress,
        text="Reported.",
        reported_on=day,
    )


def due_soon_in_sql(day, as_of=None) -> set[str]:
    return set(Commitment.objects.as_of(as_of).due_soon(day).values_list("title", flat=True))


def due_soon_in_python(day, as_of=None) -> set[str]:
    return {
        c.title
        for c in Commitment.objects.as_of(as_of).select_related("dialogue")
        if rules.is_due_soon(c.status, c.due_on, c.last_update_on, c.announced_on, c.review_cadence_days, day)
    }


# --- the rule ------------------------------------------------------------------------------------


def test_cadence_is_the_commitments_else_the_dialogues_else_the_sites(settings):
    settings.TRACKER_REVIEW_EVERY_DAYS = 90
    assert rules.review_cadence_days(30, 60) == 30
    assert rules.review_cadence_days(None, 60) == 60
    assert rules.review_cadence_days(None, None) == 90


def test_next_review_counts_from_the_latest_update_else_the_announcement():
    assert rules.next_review_on(D(2024, 3, 1), D(2024, 1, 1), 30) == D(2024, 3, 31)
    assert rules.next_review_on(None, D(2024, 1, 1), 30) == D(2024, 1, 31)


@pytest.mark.parametrize(
    "due_on, expected",
    [
        (D(2024, 5, 31), False),  # yesterday: overdue, not due soon
        (D(2024, 6, 1), True),  # today
        (D(2024, 6, 15), True),  # the last day of the 14
        (D(2024, 6, 16), False),  # a day too far
    ],
)
def test_due_date_edges(settings, due_on, expected):
    settings.TRACKER_DUE_SOON_DAYS = 14
    far_review = D(2024, 6, 1)  # announced today: the review is 90 days off
    assert rules.is_due_soon(Status.ON_TRACK, due_on, None, far_review, 90, D(2024, 6, 1)) is expected


@pytest.mark.parametrize(
    "last_update_on, expected",
    [
        (D(2024, 1, 1), True),  # review long passed: late, still due
        (D(2024, 3, 17), True),  # review on the horizon (17 Mar + 90 = 15 Jun)
        (D(2024, 3, 18), False),  # review a day past it
    ],
)
def test_review_date_edges(settings, last_update_on, expected):
    settings.TRACKER_DUE_SOON_DAYS = 14
    day = D(2024, 6, 1)
    assert rules.is_due_soon(Status.ON_TRACK, None, last_update_on, D(2023, 1, 1), 90, day) is expected


@pytest.mark.parametrize("status", [Status.COMPLETED, Status.DISCONTINUED])
def test_a_finished_commitment_is_never_due_soon(status):
    day = D(2024, 6, 1)
    assert not rules.is_due_soon(status, day, None, D(2020, 1, 1), 90, day)


# --- the rule in SQL agrees with the rule in Python ----------------------------------------------


def test_sql_edges_match_python(settings, commit, editor):
    settings.TRACKER_DUE_SOON_DAYS = 14
    day = D(2024, 6, 1)
    commit("due yesterday", announced_on=day, due_on=day - DAY)
    commit("due today", announced_on=day, due_on=day)
    commit("due on the horizon", announced_on=day, due_on=day + 14 * DAY)
    commit("due past the horizon", announced_on=day, due_on=day + 15 * DAY)
    commit("review on the horizon", announced_on=day + 14 * DAY - 90 * DAY)
    commit("review past the horizon", announced_on=day + 15 * DAY - 90 * DAY)
    commit("review late", announced_on=D(2020, 1, 1))
    done = commit("review late but completed", announced_on=D(2020, 1, 1))
    report(done, editor, D(2020, 2, 1), Status.COMPLETED, 100)
    expected = {"due today", "due on the horizon", "review on the horizon", "review late"}
    assert due_soon_in_sql(day) == expected
    assert due_soon_in_python(day) == expected


def test_cadence_precedence_in_sql(settings, commit, dialogue):
    settings.TRACKER_REVIEW_EVERY_DAYS = 90
    settings.TRACKER_DUE_SOON_DAYS = 0
    other = Dialogue.objects.create(name="Other", slug="other", parties="US", announced_on=D(2021, 1, 1))
    dialogue.review_every_days = 60
    dialogue.save()
    announced = D(2024, 1, 1)
    commit("own 30", announced_on=announced, review_every_days=30)
    commit("dialogue's 60", announced_on=announced)
    commit("site's 90", announced_on=announced, in_dialogue=other)
    reviews = dict(Commitment.objects.as_of(None).with_next_review().values_list("title", "next_review"))
    assert reviews == {
        "own 30": announced + 30 * DAY,
        "dialogue's 60": announced + 60 * DAY,
        "site's 90": announced + 90 * DAY,
    }
    assert due_soon_in_sql(announced + 30 * DAY) == {"own 30"}
    assert due_soon_in_sql(announced + 60 * DAY) == {"own 30", "dialogue's 60"}
    assert due_soon_in_sql(announced + 89 * DAY) == {"own 30", "dialogue's 60"}
    assert due_soon_in_sql(announced + 90 * DAY) == {"own 30", "dialogue's 60", "site's 90"}


def test_next_review_and_due_soon_as_of_a_past_day(settings, commit, editor):
    """On a past day the review counts from the latest update reported by then, not today's."""
    settings.TRACKER_DUE_SOON_DAYS = 14
    c = commit("reviewed", announced_on=D(2023, 1, 1), review_every_days=30)
    report(c, editor, D(2023, 3, 1))
    report(c, editor, D(2023, 5, 1))
    past = D(2023, 4, 1)
    assert Commitment.objects.as_of(past).with_next_review().get().next_review == D(2023, 3, 31)
    assert Commitment.objects.as_of(past).select_related("dialogue").get().next_review_on == D(2023, 3, 31)
    assert due_soon_in_sql(past, as_of=past) == {"reviewed"}
    assert due_soon_in_python(past, as_of=past) == {"reviewed"}
    # Today's state: reviewed on 1 May, next on 31 May; on 1 April that is not within 14 days.
    assert Commitment.objects.as_of(None).with_next_review().get().next_review == D(2023, 5, 31)
    assert due_soon_in_sql(past) == set()


OPEN_OR_CLOSED = st.sampled_from([Status.ON_TRACK, Status.AT_RISK, Status.COMPLETED, Status.DISCONTINUED])


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    rows=st.lists(
        st.tuples(
            st.integers(min_value=-200, max_value=0),  # announced, days from the day judged
            st.one_of(st.none(), st.integers(min_value=-30, max_value=30)),  # due
            st.one_of(st.none(), st.integers(min_value=-200, max_value=0)),  # last update
            OPEN_OR_CLOSED,
            st.one_of(st.none(), st.integers(min_value=1, max_value=120)),  # own cadence
        ),
        min_size=1,
        max_size=6,
    ),
    dialogue_days=st.one_of(st.none(), st.integers(min_value=1, max_value=120)),
    soon=st.integers(min_value=0, max_value=30),
)
def test_sql_and_python_agree_on_varied_data(settings, commit, dialogue, editor, rows, dialogue_days, soon):
    settings.TRACKER_DUE_SOON_DAYS = soon
    StatusUpdate.objects.all().delete()
    Commitment.objects.all().delete()
    dialogue.review_every_days = dialogue_days
    dialogue.save()
    day = timezone.localdate()
    for i, (announced, due, updated, status, cadence) in enumerate(rows):
        announced_on = day + announced * DAY
        c = commit(
            f"C{i}",
            announced_on=announced_on,
            due_on=None if due is None else day + due * DAY,
            review_every_days=cadence,
        )
        if updated is not None or status != Status.ON_TRACK:
            report(c, editor, max(announced_on, day + (updated or 0) * DAY), status)
    assert due_soon_in_sql(day) == due_soon_in_python(day)
    sql_reviews = dict(Commitment.objects.as_of(None).with_next_review().values_list("title", "next_review"))
    assert sql_reviews == {
        c.title: c.next_review_on for c in Commitment.objects.as_of(None).select_related("dialogue")
    }


# --- the list, its CSV, the overview, the commitment page ---------------------------------------


@pytest.fixture
def due_world(settings, commit, editor):
    """Today: one due in a week, one due for review in a week, one overdue only, one due next year
    and reviewed last week, one completed with its due date tomorrow."""
    settings.TRACKER_DUE_SOON_DAYS = 14
    settings.TRACKER_REVIEW_EVERY_DAYS = 90
    today = timezone.localdate()
    due_next_week = commit("Due next week", announced_on=today - 10 * DAY, due_on=today + 7 * DAY)
    report(due_next_week, editor, today)
    commit("Review next week", announced_on=today - 83 * DAY)
    overdue = commit("Overdue", announced_on=today - 30 * DAY, due_on=today - DAY)
    report(overdue, editor, today)
    quiet = commit("Quiet", announced_on=today - 30 * DAY, due_on=today + 365 * DAY)
    report(quiet, editor, today - 7 * DAY)
    done = commit("Done", announced_on=today - 30 * DAY, due_on=today + DAY)
    report(done, editor, today, Status.COMPLETED, 100)
    return today


def listed(client, query) -> set[str]:
    response = client.get(f"/commitments/?{query}")
    assert response.status_code == 200
    return {c.title for c in response.context["browser"].page.object_list}


def exported(client, query) -> set[str]:
    response = client.get(f"/commitments/export.csv?{query}")
    assert response.status_code == 200
    return {row["title"] for row in csv.DictReader(io.StringIO(response.content.decode("utf-8-sig")))}


def test_the_list_and_the_csv_give_the_due_soon_commitments(viewer_client, due_world):
    assert listed(viewer_client, "due=soon") == {"Due next week", "Review next week"}
    assert exported(viewer_client, "due=soon") == {"Due next week", "Review next week"}
    assert listed(viewer_client, "due=overdue") == {"Overdue"}
    assert listed(viewer_client, "due=soon&due=overdue") == {"Due next week", "Review next week", "Overdue"}


def test_the_csv_of_due_soon_says_so_in_its_name(viewer_client, due_world):
    response = viewer_client.get("/commitments/export.csv?due=soon")
    assert f'filename="commitments-due-soon-{due_world.isoformat()}.csv"' in response["Content-Disposition"]


def test_the_list_states_the_due_soon_filter_and_offers_its_checkbox(viewer_client, due_world):
    response = viewer_client.get("/commitments/?due=soon")
    page = response.content.decode()
    assert [(f.label, f.values) for f in response.context["browser"].active_filters] == [("", ("Due soon",))]
    assert 'name="due" value="soon" checked' in page
    assert "within 14 days" in page


def test_the_facets_count_within_the_due_soon_commitments(viewer_client, due_world):
    facets = viewer_client.get("/commitments/?due=soon").context["browser"].facets
    counts = {o.value: o.count for o in next(f for f in facets if f.name == "status").options}
    assert counts[Status.ON_TRACK] == 1 and counts[Status.NOT_STARTED] == 1
    assert counts[Status.COMPLETED] == 0


def test_an_unknown_due_value_gets_a_clear_message(viewer_client, due_world):
    response = viewer_client.get("/commitments/?due=someday")
    assert response.status_code == 200
    assert "Due:" in " ".join(response.context["browser"].problems)


def test_the_list_shows_each_next_review(viewer_client, due_world):
    page = viewer_client.get("/commitments/").content.decode()
    assert "Next review" in page
    review = due_world + 7 * DAY  # announced 83 days ago, never updated
    assert review.strftime("%-d %b %Y") in page


def test_a_late_review_is_marked_late_on_the_list(viewer_client, commit):
    commit("Long quiet", announced_on=timezone.localdate() - 400 * DAY)
    page = viewer_client.get("/commitments/").content.decode()
    assert '<span class="review-late">' in page


def test_the_commitment_page_shows_its_next_review_from_its_own_cadence(viewer_client, commit, editor):
    today = timezone.localdate()
    c = commit("Monthly", announced_on=today - 10 * DAY, review_every_days=30)
    report(c, editor, today - 5 * DAY)
    page = viewer_client.get(f"/commitments/{c.pk}/").content.decode()
    assert f"next review {(today + 25 * DAY).strftime('%-d %b %Y')}" in page


def test_the_commitment_page_as_of_a_day_counts_the_review_from_that_days_update(
    viewer_client, commit, editor
):
    c = commit("Monthly", announced_on=D(2023, 1, 1), review_every_days=30)
    report(c, editor, D(2023, 3, 1))
    report(c, editor, D(2023, 5, 1))
    page = viewer_client.get(f"/commitments/{c.pk}/?as_of=2023-04-01").content.decode()
    assert 'next review <span class="review-late">31 Mar 2023 (late)</span>' in page


def test_posting_an_update_moves_the_next_review_on_the_status_line(editor_client, commit):
    today = timezone.localdate()
    c = commit("Monthly", announced_on=today - 100 * DAY, review_every_days=30)
    response = editor_client.post(
        f"/commitments/{c.pk}/updates/",
        {"status": Status.ON_TRACK, "progress": 10, "text": "Moving.", "reported_on": today.isoformat()},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert f"next review {(today + 30 * DAY).strftime('%-d %b %Y')}" in response.content.decode()


def test_the_overview_counts_the_due_soon_and_links_to_them(viewer_client, due_world):
    response = viewer_client.get("/")
    assert response.context["overview"].attention["due_soon"] == 2
    page = response.content.decode()
    assert "2 due, or due for review, within 14 days" in page
    assert "/commitments/?due=soon" in page


def test_the_overview_as_of_a_day_counts_the_due_soon_then(settings, viewer_client, commit, editor):
    settings.TRACKER_DUE_SOON_DAYS = 14
    c = commit("Monthly", announced_on=D(2023, 1, 1), review_every_days=30)
    report(c, editor, D(2023, 3, 1))
    report(c, editor, D(2023, 5, 1))
    commit("Due then", announced_on=D(2023, 1, 1), due_on=D(2023, 4, 10), review_every_days=365)
    past = viewer_client.get("/?as_of=2023-04-01")
    assert past.context["overview"].attention["due_soon"] == 2
    assert "/commitments/?due=soon&amp;as_of=2023-04-01" in past.content.decode()
    later = viewer_client.get("/?as_of=2023-05-02")
    assert later.context["overview"].attention["due_soon"] == 0


def test_the_overview_of_today_and_of_a_day_count_alike(viewer_client, due_world):
    """The count in SQL (today) and the count from states read in Python (a past day) agree: as of
    yesterday, nothing has moved but the day."""
    yesterday = due_world - DAY
    response = viewer_client.get(f"/?as_of={yesterday.isoformat()}")
    # As of yesterday the updates of today do not count: "Due next week" and "Overdue" were then
    # never updated (announced 10 and 30 days before), "Done" was open and due in two days.
    assert response.context["overview"].attention["due_soon"] == len(
        due_soon_in_python(yesterday, as_of=yesterday)
    )
    assert response.context["overview"].attention["due_soon"] == len(
        due_soon_in_sql(yesterday, as_of=yesterday)
    )


# --- the admin -----------------------------------------------------------------------------------


def test_the_admin_sets_a_dialogues_and_a_commitments_cadence(admin_client, commit, dialogue):
    c = commit("Tuned")
    page = admin_client.get(f"/admin/tracker/commitment/{c.pk}/change/").content.decode()
    assert 'name="review_every_days"' in page
    page = admin_client.get(f"/admin/tracker/dialogue/{dialogue.pk}/change/").content.decode()
    assert 'name="review_every_days"' in page
    assert "Reviews" in page


def test_the_admin_refuses_a_cadence_of_zero_days(admin_client, dialogue):
    from django.contrib import admin

    form_class = admin.site._registry[Dialogue].get_form(None, dialogue)
    form = form_class(
        {
            "name": "Space",
            "slug": "space",
            "parties": "US,FR",
            "announced_on": "2021-01-01",
            "review_every_days": 0,
        },
        instance=dialogue,
    )
    assert not form.is_valid()
    assert "review_every_days" in form.errors


# --- the cadence set for each commitment, kept by the database (tracker/cadence.py) ---------------


def set_cadences() -> dict[str, int | None]:
    """Each commitment's stored set cadence, by slug, after checking it is what the rule says: its
    own, else its dialogue's, None when the site's applies (a 0 reads as none)."""
    found = {}
    for c in Commitment.objects.select_related("dialogue"):
        assert c.set_review_every_days == (c.review_every_days or c.dialogue.review_every_days or None), c
        found[c.slug] = c.set_review_every_days
    return found


def test_every_write_keeps_each_commitments_set_cadence(rf, admin_user, commit, dialogue, editor):
    """The column that counting what is due for review reads is kept by triggers, so every way of
    writing keeps it: saves (the admin, the loader, the services), the admin's own saving of a
    dialogue, updates in bulk, bulk inserts, the spreadsheet import, a status update from the page or
    the API, the load_dialogue and seed_synthetic commands."""
    from django.contrib import admin
    from django.core.management import call_command
    from django.test import Client

    from tests.test_admin_import import import_file, three_commitments, xlsx_file
    from tracker.models import SourceDocument, Theme

    other = Dialogue.objects.create(name="Other", slug="other", parties="US", announced_on=D(2021, 1, 1))
    own = commit("own", review_every_days=30)
    plain = commit("plain")
    assert set_cadences() == {"c0": 30, "c1": None}
    request = rf.post("/admin/")
    request.user = admin_user
    dialogue.review_every_days = 60
    admin.site._registry[Dialogue].save_model(request, dialogue, None, True)  # the admin's change
    assert set_cadences() == {"c0": 30, "c1": 60}
    own.review_every_days = None
    admin.site._registry[Commitment].save_model(request, own, None, True)
    plain.dialogue = other
    plain.save()
    assert set_cadences() == {"c0": 60, "c1": None}
    Dialogue.objects.filter(pk=other.pk).update(review_every_days=0)  # 0 reads as none
    Commitment.objects.filter(pk=own.pk).update(review_every_days=7)
    assert set_cadences() == {"c0": 7, "c1": None}
    Dialogue.objects.filter(pk=other.pk).update(review_every_days=45)
    Commitment.objects.bulk_create(
        [
            Commitment(
                dialogue=other, slug="bulk", title="Bulk", announced_on=FOUNDED, set_review_every_days=99
            )
        ]
    )
    assert set_cadences() == {"c0": 7, "c1": 45, "bulk": 45}
    report(own, editor, timezone.localdate())  # what the page and the API post through
    assert set_cadences()["c0"] == 7
    # The spreadsheet import, into a dialogue with a cadence.
    ocean = Dialogue.objects.create(
        name="Ocean dialogue",
        slug="ocean-dialogue",
        parties="US,FR",
        announced_on=D(2024, 1, 10),
        review_every_days=20,
    )
    SourceDocument.objects.create(
        title="Joint statement on the oceans",
        published_on=D(2024, 1, 10),
        text="The two governments will launch a joint mission to study the oceans. They will exchange "
        "satellite data every month. They commit to train 500 students by 2027.",
    )
    for slug in ("ocean-climate", "ocean-science"):
        Theme.objects.create(dialogue=ocean, slug=slug, name=slug, order=1)
    Agency.objects.create(slug="space-agency-us", name="Space Agency US", acronym="USSA", country="US")
    Agency.objects.create(slug="space-agency-fr", name="Agence spatiale", acronym="ASF", country="FR")
    client = Client()
    client.force_login(admin_user)
    import_file(client, Commitment, xlsx_file(three_commitments()))
    imported = {slug: days for slug, days in set_cadences().items() if slug in ("joint-mission", "students")}
    assert imported == {"joint-mission": 20, "students": 20}
    call_command("load_dialogue")
    call_command(
        "seed_synthetic", "--commitments", "20", "--updates", "40", "--agencies", "4", "--allow-real-data"
    )
    Dialogue.objects.exclude(slug="space").update(review_every_days=15)
    assert set(set_cadences().values()) >= {7, 15}
