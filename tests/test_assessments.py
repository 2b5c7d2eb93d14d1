"""Assessing each side of a commitment at a round, from the commitment page: who may post, what is
refused, what the page shows (the parties side by side, the history by round), and the reason for
slippage and the dependencies the same page shows."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from tracker import selectors, services
from tracker.forms import SCORE_OFF_SCALE
from tracker.models import Assessment, Commitment, Dialogue, Round, Status, StatusUpdate
from tracker.rules import REASON_NEEDED

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def commitment(make_commitments):
    """A commitment of a dialogue between the United States and France, which met twice."""
    commitment = make_commitments(1)[0]
    Round.objects.create(dialogue=commitment.dialogue, number=1, held_on="2024-03-01", place="Paris")
    Round.objects.create(dialogue=commitment.dialogue, number=2, held_on="2025-03-01", title="Second")
    return commitment


def round_number(commitment, number):
    return Round.objects.get(dialogue=commitment.dialogue, number=number)


def post_url(commitment):
    return reverse("tracker:assessment_create", args=[commitment.pk])


def valid(commitment, **changes):
    data = {
        "round": round_number(commitment, 2).pk,
        "party": "US",
        "score": "1",
        "rationale": "The joint workshop was held and its report published.",
        "evidence": "https://example.org/report\nhttps://example.org/minutes",
        "assessed_on": "2025-04-01",
    }
    return data | changes


def assess(commitment, assessor, *, party="US", number=2, score=1, rationale="Done.", **extra):
    return services.assessment_create(
        commitment=commitment,
        round=round_number(commitment, number),
        party=party,
        score=score,
        rationale=rationale,
        assessor=assessor,
        **extra,
    )


def page(client, commitment, **params):
    response = client.get(commitment.get_absolute_url(), params)
    assert response.status_code == 200
    return response.content.decode()


# --- who may post ---------------------------------------------------------------------------------


def test_an_editor_posts_an_assessment_and_sees_it_on_the_page(editor_client, editor, commitment):
    response = editor_client.post(post_url(commitment), valid(commitment), follow=True)

    assessment = Assessment.objects.get()
    assert (assessment.party, assessment.score, assessment.assessor) == ("US", 1, editor)
    assert assessment.evidence_links == ["https://example.org/report", "https://example.org/minutes"]
    body = response.content.decode()
    assert "Assessment posted." in body
    assert "+1</span> Full compliance" in body
    assert "The joint workshop was held and its report published." in body
    assert 'href="https://example.org/minutes"' in body


def test_the_assessment_is_recorded_in_the_history_with_its_author(editor_client, editor, commitment):
    editor_client.post(post_url(commitment), valid(commitment))
    assert Assessment.objects.get().history.first().history_user == editor


def test_an_htmx_post_swaps_in_the_scores_the_history_and_a_fresh_form(editor_client, commitment):
    response = editor_client.post(post_url(commitment), valid(commitment, score="-1"), **HTMX)

    assert response.status_code == 200
    body = response.content.decode()
    assert '<form id="assessment-form"' in body
    assert '<div id="assessments" hx-swap-oob="true">' in body
    assert (
        'id="assessment-history" class="panel" aria-labelledby="assessment-history-heading" hx-swap-oob="true"'
        in body
    )
    assert "−1</span> No compliance" in body
    assert "Assessment posted." in body
    assert not response.context["assessment_form"].is_bound  # a fresh form for the next one


def test_a_viewer_may_not_post_an_assessment(viewer_client, commitment):
    response = viewer_client.post(post_url(commitment), valid(commitment))
    assert response.status_code == 403
    assert not Assessment.objects.exists()


def test_a_viewer_sees_no_assessment_form(viewer_client, commitment):
    assert 'id="assessment-form"' not in page(viewer_client, commitment)


def test_an_anonymous_visitor_is_sent_to_log_in(client, commitment):
    response = client.post(post_url(commitment), valid(commitment))
    assert response.status_code == 302 and "login/?next=" in response["Location"]
    assert not Assessment.objects.exists()


def test_the_form_starts_at_the_latest_round_held_and_today(editor_client, commitment):
    Round.objects.create(
        dialogue=commitment.dialogue, number=3, held_on=timezone.localdate() + datetime.timedelta(days=30)
    )
    form = editor_client.get(commitment.get_absolute_url()).context["assessment_form"]
    assert form["round"].value() == round_number(commitment, 2).pk  # round 3 is still ahead
    assert form["assessed_on"].value() == timezone.localdate()
    assert [label for _, label in form.fields["party"].choices] == ["United States", "France"]
    assert len(form.fields["round"].choices) == 3


# --- what is refused ------------------------------------------------------------------------------


def other_dialogues_round():
    other = Dialogue.objects.create(name="Other", slug="other", parties="US,GB", announced_on="2024-01-01")
    return Round.objects.create(dialogue=other, number=1, held_on="2024-05-01").pk


BAD_INPUT = {
    "a party not of the dialogue": (
        lambda c: {"party": "GB"},
        "party",
        "GB is not a party to this dialogue (parties: United States, France).",
    ),
    "a round of another dialogue": (
        lambda c: {"round": other_dialogues_round()},
        "round",
        "Choose a round of this commitment",
    ),
    "a round that does not exist": (lambda c: {"round": "999999"}, "round", "Choose a round of this"),
    "a score off the scale": (lambda c: {"score": "2"}, "score", str(SCORE_OFF_SCALE)),
    "no score": (lambda c: {"score": ""}, "score", str(SCORE_OFF_SCALE)),
    "a missing rationale": (lambda c: {"rationale": "   "}, "rationale", "Give the rationale"),
    "a bad evidence link": (
        lambda c: {"evidence": "https://example.org/a\nnot a link"},
        "evidence",
        "Line 2 is not a web address: “not a link”.",
    ),
    "a future date": (
        lambda c: {"assessed_on": (timezone.localdate() + datetime.timedelta(days=1)).isoformat()},
        "assessed_on",
        "The date cannot be in the future",
    ),
}


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
@pytest.mark.parametrize("case", BAD_INPUT)
def test_bad_input_is_refused_with_a_message_and_nothing_is_written(editor_client, commitment, case, htmx):
    changes, field, message = BAD_INPUT[case]
    response = editor_client.post(
        post_url(commitment), valid(commitment, **changes(commitment)), **(HTMX if htmx else {})
    )

    assert response.status_code == 422
    assert not Assessment.objects.exists()
    form = response.context["assessment_form"]
    assert any(message in error for error in form.errors[field])
    body = response.content.decode()
    assert 'id="assessment-form"' in body
    assert ("<html" in body) is not htmx


def test_a_refusal_by_the_service_shows_on_the_form_never_as_a_server_error(
    editor_client, commitment, monkeypatch
):
    def refuse(**kwargs):
        raise ValidationError({"party": "Refused by the service.", "commitment": "And this too."})

    monkeypatch.setattr(services, "assessment_create", refuse)
    response = editor_client.post(post_url(commitment), valid(commitment), **HTMX)

    assert response.status_code == 422
    form = response.context["assessment_form"]
    assert form.errors["party"] == ["Refused by the service."]
    assert form.non_field_errors() == ["And this too."]


def test_get_is_not_allowed(editor_client, commitment):
    assert editor_client.get(post_url(commitment)).status_code == 405


def test_an_unknown_commitment_is_404(editor_client, commitment):
    assert editor_client.post(reverse("tracker:assessment_create", args=[999999]), {}).status_code == 404


# --- what the page shows --------------------------------------------------------------------------


def test_the_parties_are_side_by_side_at_the_latest_round_held(client, editor, commitment):
    client.force_login(editor)
    assess(commitment, editor, party="US", score=1, rationale="Delivered in full.")
    assess(commitment, editor, party="FR", score=None, rationale="Nothing published.")

    body = page(client, commitment)

    assert "At the latest round held:" in body and "Round 2 — Second" in body
    assert body.index("United States") < body.index("France")
    assert "+1</span> Full compliance" in body and "Delivered in full." in body
    assert '<span class="score score-no-evidence">No evidence available</span>' in body
    assert "Assessed by editor on" in body


def test_a_side_not_assessed_at_the_latest_round_says_so_with_its_earlier_score(client, editor, commitment):
    client.force_login(editor)
    assess(commitment, editor, party="FR", number=1, score=0)

    board = client.get(commitment.get_absolute_url()).context["page"].assessments

    france = board.columns[1]
    assert (france.name, france.latest, france.earlier.score) == ("France", None, 0)
    body = page(client, commitment)
    assert '<span class="score score-unassessed">Not assessed</span>' in body
    assert "Its latest assessment, at an earlier round:" in body


def test_the_latest_assessment_wins_and_the_one_it_corrects_is_marked_superseded(client, editor, commitment):
    client.force_login(editor)
    first = assess(commitment, editor, score=-1, rationale="Nothing yet, we thought.")
    latest = assess(commitment, editor, score=0, rationale="Work has started after all.")

    board = client.get(commitment.get_absolute_url()).context["page"].assessments

    assert board.columns[0].latest == latest
    counted = selectors.latest_assessments(rounds=[round_number(commitment, 2)], commitments=[commitment.pk])
    assert counted[(commitment.pk, "US", round_number(commitment, 2).pk)] == latest
    history = board.history[0]  # the latest round first
    assert history.round.number == 2
    assert history.parties[0].assessments == [latest, first]
    assert [a.superseded for a in history.parties[0].assessments] == [False, True]
    body = page(client, commitment)
    assert body.count("Superseded") == 1
    assert body.index("Work has started after all.") < body.index("Nothing yet, we thought.")


def test_the_history_lists_every_round_held_latest_first(client, editor, commitment):
    client.force_login(editor)
    assess(commitment, editor, number=1, score=1, rationale="Round one work.")
    body = page(client, commitment)
    history = body[body.index("Assessment history by round") :]
    assert history.index("Round 2 — Second") < history.index("Round 1")
    assert "No side was assessed at this round." in history
    assert "Round one work." in history


def test_a_posted_assessment_shows_at_once_on_the_cached_page(client, editor, viewer, commitment):
    client.force_login(viewer)
    assert "Delivered." not in page(client, commitment)  # now cached
    assess(commitment, editor, rationale="Delivered.")
    assert "Delivered." in page(client, commitment)


def test_a_new_round_shows_at_once_on_the_cached_page(client, viewer, commitment):
    client.force_login(viewer)
    page(client, commitment)
    Round.objects.create(dialogue=commitment.dialogue, number=3, held_on="2025-09-01", title="Third")
    assert "Round 3 — Third" in page(client, commitment)


def test_the_page_as_of_a_past_day_shows_the_assessments_made_by_then(client, editor, commitment):
    client.force_login(editor)
    assess(commitment, editor, number=1, rationale="Early view.", assessed_on=datetime.date(2024, 4, 1))
    assess(commitment, editor, number=1, rationale="Later view.", assessed_on=datetime.date(2025, 1, 1))

    body = page(client, commitment, as_of="2024-06-30")

    assert "Early view." in body and "Later view." not in body
    assert "Round 2" not in body  # not held yet then
    assert 'id="assessment-form"' not in body  # the past is read-only


def test_a_dialogue_without_rounds_says_so(editor_client, make_commitments):
    commitment = make_commitments(1)[0]
    body = page(editor_client, commitment)
    assert "No round of this dialogue had been held" in body
    assert "This dialogue has no rounds yet" in body


# --- the reason for slippage on the update form and the trail ------------------------------------


def update(**changes):
    return {"reported_on": "2025-05-01", "status": "at_risk", "progress": "30", "text": "Slipping."} | changes


def test_the_update_form_asks_why_it_slipped_with_a_hint(editor_client, commitment):
    body = page(editor_client, commitment)
    assert "<legend>If it slipped</legend>" in body
    assert "Only for an update that is at risk, off track or discontinued" in body
    assert '<option value="funding">Funding</option>' in body


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_an_update_at_risk_without_a_reason_is_refused_with_the_message(editor_client, commitment, htmx):
    url = reverse("tracker:statusupdate_create", args=[commitment.pk])
    response = editor_client.post(url, update(), **(HTMX if htmx else {}))
    assert response.status_code == 422
    assert str(REASON_NEEDED) in response.content.decode()
    assert not StatusUpdate.objects.exists()


def test_an_update_at_risk_with_a_reason_lands_and_the_trail_shows_why(editor_client, commitment):
    url = reverse("tracker:statusupdate_create", args=[commitment.pk])
    response = editor_client.post(url, update(reason="other", reason_note="Launch window moved"), **HTMX)

    assert response.status_code == 200
    assert StatusUpdate.objects.get().reason == "other"
    assert "Why it slipped:</strong> Other — Launch window moved" in response.content.decode()
    assert "Why it slipped:</strong> Other — Launch window moved" in page(editor_client, commitment)


def test_an_update_that_did_not_slip_shows_no_reason(editor_client, commitment):
    url = reverse("tracker:statusupdate_create", args=[commitment.pk])
    editor_client.post(url, update(status="on_track", reason="funding"))
    assert StatusUpdate.objects.get().reason == ""
    assert "Why it slipped" not in page(editor_client, commitment)


# --- dependencies -----------------------------------------------------------------------------------


def test_the_page_shows_what_it_is_blocked_by_and_flags_it_blocked(client, viewer, editor, make_commitments):
    client.force_login(viewer)
    waiting, blocker, fine = make_commitments(3)
    waiting.blocked_by.set([blocker, fine])
    services.status_update_create(
        commitment=blocker,
        author=editor,
        status=Status.OFF_TRACK,
        progress=5,
        text="Stuck.",
        reason="funding",
    )

    body = page(client, waiting)

    assert "Blocked by" in body
    assert blocker.title in body and fine.title in body
    assert '<span class="status status-off_track">Off track</span>' in body
    assert body.count('<span class="flag flag-holding">Holding it up</span>') == 1
    assert '<span class="flag flag-blocked">Blocked</span>' in body


def test_a_blocker_that_is_fine_does_not_flag_it_blocked(client, viewer, make_commitments):
    client.force_login(viewer)
    waiting, blocker = make_commitments(2)
    waiting.blocked_by.set([blocker])
    body = page(client, waiting)
    assert "Blocked by" in body
    assert "flag-blocked" not in body


def test_the_blockers_page_shows_what_it_blocks(client, viewer, make_commitments):
    client.force_login(viewer)
    waiting, blocker = make_commitments(2)
    page(client, blocker)  # cached before the link exists
    Commitment.objects.get(pk=waiting.pk).blocked_by.add(blocker)
    body = page(client, blocker)
    assert "Blocks" in body and waiting.title in body
