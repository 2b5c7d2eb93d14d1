"""A trail that can be trusted, and mended: no future dates, withdrawing and restoring an update,
a double post recorded once, and a trail that says when each update was recorded and by whom."""

import datetime
import re

import pytest
from django.contrib.auth.models import Permission, User
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from tests.factories import reason_for
from tracker import services
from tracker.models import Commitment, Status, StatusUpdate, Theme

HTMX = {"HTTP_HX_REQUEST": "true"}
FUTURE = "The date cannot be in the future: report what has happened."
REASON = {"reason": "Posted on the wrong commitment."}


@pytest.fixture
def commitment(seed):
    return Commitment.objects.get(slug="objective-stem-education")


@pytest.fixture
def other_editor(db, editor):
    other = User.objects.create_user(username="other", password="a-long-test-password-42", is_staff=True)
    other.groups.set(editor.groups.all())
    return other


def post(commitment, author, status=Status.ON_TRACK, progress=10, days_ago=0, text="Reported."):
    return services.status_update_create(
        commitment=commitment,
        author=author,
        status=status,
        **reason_for(status),
        progress=progress,
        text=text,
        reported_on=timezone.localdate() - datetime.timedelta(days=days_ago),
    )


def withdraw_url(update):
    return reverse("tracker:statusupdate_withdraw", args=[update.commitment_id, update.pk])


def restore_url(update):
    return reverse("tracker:statusupdate_restore", args=[update.commitment_id, update.pk])


def state(commitment):
    commitment.refresh_from_db()
    return commitment.status, commitment.progress


def tomorrow() -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=1)


# --- no future dates ----------------------------------------------------------------------------


@pytest.mark.parametrize("headers", [HTMX, {}], ids=["htmx", "plain"])
def test_a_future_date_is_refused_on_the_page(editor_client, commitment, headers):
    data = {"reported_on": tomorrow().isoformat(), "status": "on_track", "progress": "5", "text": "Soon."}
    response = editor_client.post(
        reverse("tracker:statusupdate_create", args=[commitment.pk]), data, **headers
    )
    assert response.status_code == 422
    assert FUTURE in response.content.decode()
    assert StatusUpdate.objects.count() == 0


def test_the_service_refuses_a_future_date(commitment, editor):
    with pytest.raises(ValidationError) as refused:
        services.status_update_create(
            commitment=commitment,
            author=editor,
            status="on_track",
            progress=5,
            text="x",
            reported_on=tomorrow(),
        )
    assert refused.value.message_dict == {"reported_on": [FUTURE]}
    assert StatusUpdate.objects.count() == 0
    assert state(commitment) == (Status.NOT_STARTED, 0)


def test_today_is_not_the_future(commitment, editor):
    post(commitment, editor, days_ago=0)
    assert StatusUpdate.objects.count() == 1


def test_the_admin_shows_a_future_date_as_a_field_error(client, editor, commitment):
    client.force_login(editor)
    response = client.post(
        reverse("admin:tracker_statusupdate_add"),
        {
            "commitment": commitment.pk,
            "reported_on": tomorrow().isoformat(),
            "status": "on_track",
            "progress": "5",
            "text": "Soon.",
        },
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["reported_on"] == [FUTURE]
    assert StatusUpdate.objects.count() == 0


def test_the_date_picker_offers_no_future_day(editor_client, commitment):
    page = editor_client.get(commitment.get_absolute_url()).content.decode()
    assert f'max="{timezone.localdate().isoformat()}"' in page


# --- withdrawing and restoring ------------------------------------------------------------------


def test_editor_withdraws_their_own_update_and_the_older_one_counts_again(editor_client, commitment, editor):
    post(commitment, editor, Status.ON_TRACK, 20, days_ago=10)
    wrong = post(commitment, editor, Status.OFF_TRACK, 5, days_ago=1)
    assert state(commitment) == (Status.OFF_TRACK, 5)

    response = editor_client.post(withdraw_url(wrong), REASON)

    assert response.status_code == 302
    assert response["Location"] == f"{commitment.get_absolute_url()}#update-{wrong.pk}"
    wrong.refresh_from_db()
    assert (wrong.withdrawn_by, wrong.withdrawal_reason) == (editor, REASON["reason"])
    assert wrong.withdrawn_at is not None
    assert state(commitment) == (Status.ON_TRACK, 20)
    assert commitment.last_update_on == timezone.localdate() - datetime.timedelta(days=10)


def test_withdrawing_the_only_update_leaves_the_commitment_not_started(commitment, editor):
    only = post(commitment, editor, Status.AT_RISK, 30)
    services.status_update_withdraw(update=only, by=editor, reason="Duplicate.")
    assert state(commitment) == (Status.NOT_STARTED, 0)
    assert commitment.last_update_on is None


def test_editor_cannot_withdraw_another_editors_update(editor_client, commitment, other_editor):
    theirs = post(commitment, other_editor)
    response = editor_client.post(withdraw_url(theirs), REASON)
    assert response.status_code == 403
    theirs.refresh_from_db()
    assert theirs.withdrawn_at is None


def test_the_service_refuses_who_may_not_withdraw(commitment, editor, other_editor):
    theirs = post(commitment, other_editor)
    with pytest.raises(PermissionDenied):
        services.status_update_withdraw(update=theirs, by=editor, reason="Mine now.")
    theirs.refresh_from_db()
    assert theirs.withdrawn_at is None


def test_the_withdraw_any_permission_allows_withdrawing_anyones_update(
    client, commitment, editor, other_editor
):
    other_editor.user_permissions.add(Permission.objects.get(codename="withdraw_any_statusupdate"))
    client.force_login(User.objects.get(pk=other_editor.pk))
    mine_not = post(commitment, editor)
    assert client.post(withdraw_url(mine_not), REASON).status_code == 302
    mine_not.refresh_from_db()
    assert mine_not.withdrawn_by == other_editor


def test_a_superuser_may_withdraw_anyones_update(admin_client, commitment, editor):
    update = post(commitment, editor)
    assert admin_client.post(withdraw_url(update), REASON).status_code == 302
    update.refresh_from_db()
    assert update.withdrawn_at is not None


def test_viewer_cannot_withdraw_update(viewer_client, commitment, editor):
    update = post(commitment, editor)
    assert viewer_client.post(withdraw_url(update), REASON, **HTMX).status_code == 403
    update.refresh_from_db()
    assert update.withdrawn_at is None


def test_an_update_of_another_commitment_is_not_found(editor_client, commitment, editor):
    update = post(commitment, editor)
    elsewhere = Commitment.objects.exclude(pk=commitment.pk).first()
    url = reverse("tracker:statusupdate_withdraw", args=[elsewhere.pk, update.pk])
    assert editor_client.post(url, REASON).status_code == 404
    update.refresh_from_db()
    assert update.withdrawn_at is None


@pytest.mark.parametrize("headers", [HTMX, {}], ids=["htmx", "plain"])
@pytest.mark.parametrize("reason", [{}, {"reason": "   "}], ids=["missing", "blank"])
def test_withdrawing_without_a_reason_is_refused_and_writes_nothing(
    editor_client, commitment, editor, headers, reason
):
    update = post(commitment, editor, Status.AT_RISK, 40)
    response = editor_client.post(withdraw_url(update), reason, **headers)
    assert response.status_code == 422
    body = response.content.decode()
    assert "Give a reason: say why, so the record explains itself." in body
    assert f'aria-describedby="reason-{update.pk}-error"' in body
    update.refresh_from_db()
    assert update.withdrawn_at is None
    assert state(commitment) == (Status.AT_RISK, 40)


def test_an_update_cannot_be_withdrawn_twice(editor_client, commitment, editor):
    update = post(commitment, editor)
    services.status_update_withdraw(update=update, by=editor, reason="Wrong.")
    response = editor_client.post(withdraw_url(update), {"reason": "Again."})
    assert response.status_code == 422
    assert "This update was already withdrawn." in response.content.decode()
    update.refresh_from_db()
    assert update.withdrawal_reason == "Wrong."


def test_the_withdrawn_update_stays_struck_through_with_who_when_and_why(viewer_client, commitment, editor):
    update = post(commitment, editor, text="Signed the agreement.")
    services.status_update_withdraw(update=update, by=editor, reason="It was not signed after all.")
    trail = viewer_client.get(commitment.get_absolute_url()).content.decode().split('id="trail"')[1]
    entry = trail.split(f'<li id="update-{update.pk}" class="withdrawn">')[1].split("</li>")[0]
    assert "<del " in entry and "Signed the agreement." in entry.split("</del>")[0]
    assert "Withdrawn" in entry and "by editor: It was not signed after all." in entry


def test_withdrawing_with_htmx_swaps_the_trail_and_the_status(editor_client, commitment, editor):
    post(commitment, editor, Status.ON_TRACK, 20, days_ago=3)
    wrong = post(commitment, editor, Status.OFF_TRACK, 5)
    response = editor_client.post(withdraw_url(wrong), REASON, **HTMX)
    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith('<ol class="trail" id="trail">')
    assert '<div id="commitment-status" class="panel" hx-swap-oob="true">' in body
    assert 'class="status status-on_track"' in body.split('id="commitment-status"')[1]
    assert "Update withdrawn." in body


def test_restoring_makes_the_update_count_again(editor_client, commitment, editor):
    post(commitment, editor, Status.ON_TRACK, 20, days_ago=3)
    update = post(commitment, editor, Status.COMPLETED, 100)
    services.status_update_withdraw(update=update, by=editor, reason="Not finished yet.")
    assert state(commitment) == (Status.ON_TRACK, 20)

    response = editor_client.post(restore_url(update), {"reason": "It was finished after all."})

    assert response.status_code == 302
    update.refresh_from_db()
    assert (update.withdrawn_at, update.withdrawn_by, update.withdrawal_reason) == (None, None, "")
    assert state(commitment) == (Status.COMPLETED, 100)
    withdrawn, restored = update.history.filter(history_type="~").order_by("history_date")
    assert (withdrawn.history_user, withdrawn.history_change_reason) == (editor, "Not finished yet.")
    assert (restored.history_user, restored.history_change_reason) == (editor, "It was finished after all.")


def test_restoring_needs_a_reason_and_a_withdrawn_update(editor_client, commitment, editor):
    update = post(commitment, editor)
    assert editor_client.post(restore_url(update), {"reason": "Why not."}).status_code == 422
    services.status_update_withdraw(update=update, by=editor, reason="Wrong.")
    assert editor_client.post(restore_url(update), {}).status_code == 422
    update.refresh_from_db()
    assert update.withdrawn_at is not None


def test_withdraw_forms_appear_only_on_updates_the_user_may_withdraw(
    client, commitment, editor, other_editor
):
    mine = post(commitment, editor, days_ago=2)
    theirs = post(commitment, other_editor, days_ago=1)
    client.force_login(editor)
    page = client.get(commitment.get_absolute_url()).content.decode()
    assert withdraw_url(mine) in page
    assert withdraw_url(theirs) not in page


def test_viewers_and_as_of_pages_get_no_withdraw_forms(client, commitment, editor, viewer):
    update = post(commitment, editor, days_ago=2)
    client.force_login(viewer)
    assert withdraw_url(update) not in client.get(commitment.get_absolute_url()).content.decode()
    client.force_login(editor)
    yesterday = (timezone.localdate() - datetime.timedelta(days=1)).isoformat()
    as_of = client.get(f"{commitment.get_absolute_url()}?as_of={yesterday}").content.decode()
    assert f'id="update-{update.pk}"' in as_of
    assert withdraw_url(update) not in as_of


def test_a_viewer_after_an_editor_gets_the_shared_trail_without_forms(client, commitment, editor, viewer):
    update = post(commitment, editor)
    client.force_login(editor)
    assert withdraw_url(update) in client.get(commitment.get_absolute_url()).content.decode()
    client.force_login(viewer)
    page = client.get(commitment.get_absolute_url()).content.decode()
    assert f'id="update-{update.pk}"' in page
    assert withdraw_url(update) not in page and "csrfmiddlewaretoken" not in page.split('id="trail"')[1]


def test_a_withdrawn_update_offers_restore_instead(editor_client, commitment, editor):
    update = post(commitment, editor)
    services.status_update_withdraw(update=update, by=editor, reason="Wrong.")
    page = editor_client.get(commitment.get_absolute_url()).content.decode()
    assert restore_url(update) in page and withdraw_url(update) not in page


# --- a double post is recorded once -------------------------------------------------------------


def update_data(**changes):
    return {
        "reported_on": timezone.localdate().isoformat(),
        "status": "on_track",
        "progress": "25",
        "text": "Working group met.",
    } | changes


def test_the_same_update_posted_twice_is_recorded_once(editor_client, commitment):
    url = reverse("tracker:statusupdate_create", args=[commitment.pk])
    editor_client.post(url, update_data())
    response = editor_client.post(url, update_data(), follow=True)
    assert StatusUpdate.objects.count() == 1
    assert "This update was already recorded" in response.content.decode()


def test_the_service_returns_the_update_already_recorded(commitment, editor):
    first = post(commitment, editor)
    again = post(commitment, editor)
    assert again.pk == first.pk
    assert (first.already_recorded, again.already_recorded) == (False, True)


@pytest.mark.parametrize(
    "change",
    [{"text": "Working group met again."}, {"progress": "26"}, {"status": "at_risk", "reason": "funding"}],
)
def test_a_different_update_is_recorded(editor_client, commitment, change):
    url = reverse("tracker:statusupdate_create", args=[commitment.pk])
    editor_client.post(url, update_data())
    editor_client.post(url, update_data(**change))
    assert StatusUpdate.objects.count() == 2


def test_the_same_update_more_than_five_minutes_later_is_recorded(commitment, editor):
    first = post(commitment, editor)
    StatusUpdate.objects.filter(pk=first.pk).update(created_at=timezone.now() - datetime.timedelta(minutes=6))
    assert post(commitment, editor).pk != first.pk
    assert StatusUpdate.objects.count() == 2


def test_the_same_update_by_another_author_is_recorded(commitment, editor, other_editor):
    post(commitment, editor)
    post(commitment, other_editor)
    assert StatusUpdate.objects.count() == 2


def test_the_same_update_as_a_withdrawn_one_is_recorded(commitment, editor):
    first = post(commitment, editor)
    services.status_update_withdraw(update=first, by=editor, reason="Wrong day.")
    assert post(commitment, editor).pk != first.pk


# --- what the trail says ------------------------------------------------------------------------


def test_the_trail_shows_the_date_reported_when_recorded_by_whom_and_the_evidence_address(
    viewer_client, commitment, editor
):
    editor.first_name, editor.last_name = "Jane", "Doe"
    editor.save()
    update = services.status_update_create(
        commitment=commitment,
        author=editor,
        status="on_track",
        progress=10,
        text="Met.",
        reported_on=datetime.date(2024, 3, 3),
        evidence_url="https://example.org/minutes?id=4&lang=en",
    )
    StatusUpdate.objects.filter(pk=update.pk).update(
        created_at=timezone.make_aware(datetime.datetime(2024, 3, 5, 14, 2))
    )
    trail = viewer_client.get(commitment.get_absolute_url()).content.decode().split('id="trail"')[1]
    text = re.sub(r"<[^>]+>", "", trail)
    assert "Reported for 3 March 2024 · recorded 5 March 2024, 14:02 by Jane Doe" in text
    assert (
        '<a href="https://example.org/minutes?id=4&amp;lang=en" rel="noopener noreferrer">'
        "https://example.org/minutes?id=4&amp;lang=en</a>"
    ) in trail


# --- history ------------------------------------------------------------------------------------


def test_posting_an_update_puts_the_status_change_in_the_commitments_history(
    editor_client, commitment, editor
):
    editor_client.post(reverse("tracker:statusupdate_create", args=[commitment.pk]), update_data())
    latest, previous = commitment.history.all()[:2]
    assert latest.history_user == editor
    changed = {change.field for change in latest.diff_against(previous).changes}
    assert changed == {"status", "progress"}  # diff_against leaves out fields nobody edits by hand
    assert (latest.status, latest.progress, latest.last_update_on) == (
        Status.ON_TRACK,
        25,
        timezone.localdate(),
    )


def test_withdrawing_puts_the_status_change_in_history_with_the_withdrawer(commitment, editor, superuser):
    update = post(commitment, editor, Status.AT_RISK, 30)
    services.status_update_withdraw(update=update, by=superuser, reason="Wrong commitment.")
    latest = commitment.history.first()
    assert (latest.history_user, latest.status, latest.progress) == (superuser, Status.NOT_STARTED, 0)


def test_a_status_sync_does_not_bump_the_version_the_admin_checks(commitment, editor):
    before = Commitment.objects.get(pk=commitment.pk).version
    post(commitment, editor)
    assert Commitment.objects.get(pk=commitment.pk).version == before


def test_a_theme_link_change_is_in_history(admin_client, commitment, superuser):
    theme = Theme.objects.exclude(commitments=commitment).first()
    before = commitment.history.count()
    commitment.themes.add(theme)
    assert commitment.history.count() == before + 1
    assert theme in [link.theme for link in commitment.history.first().themes.all()]
    assert theme not in [link.theme for link in commitment.history.all()[1].themes.all()]


# --- markup -------------------------------------------------------------------------------------


@pytest.mark.parametrize("invalid", [False, True], ids=["blank form", "form with errors"])
def test_every_aria_describedby_on_the_commitment_page_names_an_element_on_it(
    editor_client, commitment, editor, invalid
):
    post(commitment, editor, days_ago=1)
    if invalid:
        url = reverse("tracker:statusupdate_create", args=[commitment.pk])
        page = editor_client.post(url, update_data(progress="140", text="")).content.decode()
    else:
        page = editor_client.get(commitment.get_absolute_url()).content.decode()
    ids = set(re.findall(r'\bid="([^"]+)"', page))
    described = [name for value in re.findall(r'aria-describedby="([^"]+)"', page) for name in value.split()]
    assert described, "the form's fields are described"
    assert [name for name in described if name not in ids] == []
