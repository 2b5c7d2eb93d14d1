"""The list's reason and blocked filters, the blocked flag on its rows, and how its filters name
agencies and countries."""

import csv
import datetime
import io

import pytest

from tracker import services
from tracker.models import Agency, Commitment, Dialogue, Participation, Role, SlipReason, Status

D = datetime.date
FOUNDED = D(2021, 1, 1)
REPORTED = D(2022, 1, 1)


@pytest.fixture
def dialogue(db):
    return Dialogue.objects.create(name="Space", slug="space", parties="US,FR", announced_on=FOUNDED)


@pytest.fixture
def make(dialogue, editor):
    """A commitment titled `title`, optionally moved to `status` (with `reason`) on `reported_on`."""
    made = []

    def commitment(title, status=None, reason="", reported_on=REPORTED, due_on=None):
        c = Commitment.objects.create(
            dialogue=dialogue, slug=f"c{len(made)}", title=title, announced_on=FOUNDED, due_on=due_on
        )
        if status:
            update(c, status, reason, reported_on)
        made.append(c)
        return c

    def update(c, status, reason="", reported_on=REPORTED):
        services.status_update_create(
            commitment=c,
            author=editor,
            status=status,
            progress=10,
            text="News.",
            reported_on=reported_on,
            reason=reason,
            reason_note="Something else." if reason == SlipReason.OTHER else "",
        )

    commitment.update = update
    return commitment


def titles(response) -> set[str]:
    return {c.title for c in response.context["browser"].page.object_list}


def facet(response, name):
    return next(f for f in response.context["browser"].facets if f.name == name)


def test_the_list_filters_by_reason_for_slippage(viewer_client, make):
    make("Money short", Status.AT_RISK, SlipReason.FUNDING)
    make("Law pending", Status.OFF_TRACK, SlipReason.LEGAL)
    make("Fine", Status.ON_TRACK)
    assert titles(viewer_client.get("/commitments/?reason=funding")) == {"Money short"}
    assert titles(viewer_client.get("/commitments/?reason=funding&reason=legal")) == {
        "Money short",
        "Law pending",
    }


def test_the_reason_facet_counts_each_reason_with_the_other_filters_applied(viewer_client, make):
    make("Money short", Status.AT_RISK, SlipReason.FUNDING)
    make("Money gone", Status.DISCONTINUED, SlipReason.FUNDING)
    make("Law pending", Status.OFF_TRACK, SlipReason.LEGAL)
    counts = {o.value: o.count for o in facet(viewer_client.get("/commitments/"), "reason").options}
    assert counts["funding"] == 2 and counts["legal"] == 1 and counts["technical"] == 0
    counts = {
        o.value: o.count for o in facet(viewer_client.get("/commitments/?status=at_risk"), "reason").options
    }
    assert counts["funding"] == 1 and counts["legal"] == 0
    page = viewer_client.get("/commitments/").content.decode()
    assert "Reason for slippage" in page and "Coordination between agencies" in page


def test_the_reason_filter_reads_the_reason_given_as_of_a_past_day(viewer_client, make):
    c = make("Recovered", Status.AT_RISK, SlipReason.TECHNICAL, reported_on=REPORTED)
    make.update(c, Status.ON_TRACK, reported_on=D(2023, 1, 1))
    assert titles(viewer_client.get("/commitments/?reason=technical")) == set()
    assert titles(viewer_client.get("/commitments/?reason=technical&as_of=2022-06-30")) == {"Recovered"}


def test_an_unknown_reason_is_named_in_a_message_and_matches_nothing(viewer_client, make):
    make("Money short", Status.AT_RISK, SlipReason.FUNDING)
    response = viewer_client.get("/commitments/?reason=weather")
    assert response.status_code == 200
    assert "weather" in response.content.decode()
    assert response.context["browser"].problems
    assert titles(response) == set()


def blocked_pair(make, blocker_status=None, blocker_due=None, reason=""):
    blocker = make("Blocker", blocker_status, reason, due_on=blocker_due)
    waiting = make("Waiting", Status.ON_TRACK)
    services.commitment_set_blockers(commitment=waiting, blockers=[blocker])
    return blocker, waiting


@pytest.mark.parametrize(
    "status, reason, due_on",
    [
        (Status.OFF_TRACK, SlipReason.FUNDING, None),
        (Status.AT_RISK, SlipReason.POLITICAL, None),
        (Status.ON_TRACK, "", D(2022, 6, 1)),  # overdue
    ],
)
def test_a_commitment_whose_blocker_is_in_trouble_is_flagged_and_filtered_as_blocked(
    viewer_client, make, status, reason, due_on
):
    blocked_pair(make, status, due_on, reason)
    response = viewer_client.get("/commitments/?blocked=1")
    assert titles(response) == {"Waiting"}
    row = response.content.decode().split("Waiting</a>")[1].split("</tr>")[0]
    assert "⊘" in row and "Blocked" in row


def test_a_commitment_whose_blocker_is_on_track_is_not_blocked(viewer_client, make):
    blocked_pair(make, Status.ON_TRACK)
    assert titles(viewer_client.get("/commitments/?blocked=1")) == set()
    assert "flag-blocked" not in viewer_client.get("/commitments/").content.decode()


def test_blocked_is_judged_as_the_blocker_stood_on_a_past_day(viewer_client, make):
    blocker, _ = blocked_pair(make, Status.OFF_TRACK, reason=SlipReason.TECHNICAL)
    make.update(blocker, Status.ON_TRACK, reported_on=D(2023, 1, 1))
    assert titles(viewer_client.get("/commitments/?blocked=1")) == set()
    response = viewer_client.get("/commitments/?blocked=1&as_of=2022-06-30")
    assert titles(response) == {"Waiting"}
    assert "⊘" in response.content.decode()


def test_the_csv_carries_the_reason_and_whether_it_is_blocked(viewer_client, make):
    blocked_pair(make, Status.AT_RISK, reason=SlipReason.COORDINATION)
    rows = list(
        csv.DictReader(io.StringIO(viewer_client.get("/commitments/export.csv").content.decode("utf-8-sig")))
    )
    by_title = {row["title"]: row for row in rows}
    assert by_title["Blocker"]["reason for slippage"] == "Coordination between agencies"
    assert by_title["Blocker"]["blocked"] == "no"
    assert by_title["Waiting"]["blocked"] == "yes"
    assert by_title["Waiting"]["reason for slippage"] == ""


def test_the_agency_filter_names_agencies_with_acronyms_and_countries(viewer_client, make):
    nasa = Agency.objects.create(
        name="National Aeronautics and Space Administration", acronym="NASA", slug="nasa", country="US"
    )
    cnes = Agency.objects.create(
        name="Centre national d'études spatiales", acronym="CNES", slug="cnes", country="FR"
    )
    c = make("Fly")
    Participation.objects.create(commitment=c, agency=nasa, role=Role.LEAD)
    Participation.objects.create(commitment=c, agency=cnes, role=Role.PARTNER)
    response = viewer_client.get("/commitments/")
    labels = {o.value: o.label for o in facet(response, "agency").options}
    assert labels["nasa"] == "National Aeronautics and Space Administration (NASA) · United States"
    assert labels["cnes"] == "Centre national d'études spatiales (CNES) · France"
    countries = {o.value: o.label for o in facet(response, "country").options}
    assert countries == {"FR": "France", "US": "United States"}


def test_the_role_filter_can_ask_for_partners(viewer_client, make):
    agency = Agency.objects.create(name="Agency", slug="ag", country="US")
    led, partnered = make("Led"), make("Partnered")
    Participation.objects.create(commitment=led, agency=agency, role=Role.LEAD)
    Participation.objects.create(commitment=partnered, agency=agency, role=Role.PARTNER)
    assert titles(viewer_client.get("/commitments/?agency=ag&role=partner")) == {"Partnered"}
    assert titles(viewer_client.get("/commitments/?agency=ag&role=lead")) == {"Led"}
    assert Commitment.objects.count() == 2


def test_setting_a_blocker_shows_at_once_on_the_cached_list(viewer_client, make):
    blocker = make("Blocker", Status.OFF_TRACK, SlipReason.FUNDING)
    waiting = make("Waiting", Status.ON_TRACK)
    assert titles(viewer_client.get("/commitments/?blocked=1")) == set()
    services.commitment_set_blockers(commitment=waiting, blockers=[blocker])
    assert titles(viewer_client.get("/commitments/?blocked=1")) == {"Waiting"}
