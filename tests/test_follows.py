"""Following: the service, the Follow button on each page, "What I follow", the header's count of
news and the admin action that makes an agency's staff follow it."""

import datetime

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Group, User
from django.utils import timezone

from tracker import services
from tracker.models import Agency as AgencyModel
from tracker.models import Commitment, Follow, FollowVisit, Status, Theme

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def world(make_commitments):
    """A dialogue of 3 commitments under theme t0 with agency a0 leading; one overdue, one at risk."""
    made = make_commitments(3)
    Commitment.objects.filter(pk=made[0].pk).update(due_on=datetime.date(2020, 1, 1))
    return {
        "dialogue": made[0].dialogue,
        "theme": Theme.objects.get(slug="t0"),
        "agency": AgencyModel.objects.get(slug="a0"),
        "commitment": made[1],
        "commitments": made,
    }


def page_of(kind, target):
    return target.get_absolute_url()


KINDS = ["dialogue", "theme", "agency", "commitment"]
LABELS = {"dialogue": "dialogue", "theme": "objective", "agency": "agency", "commitment": "commitment"}


def post_update(commitment, author, status=Status.ON_TRACK, progress=30, text="Moved.", **extra):
    return services.status_update_create(
        commitment=commitment, author=author, status=status, progress=progress, text=text, **extra
    )


# --- the service ----------------------------------------------------------------------------------


def test_following_twice_leaves_one_follow(world, viewer):
    first, created = services.follow_create(user=viewer, target=world["agency"])
    again, created_again = services.follow_create(user=viewer, target=world["agency"])
    assert (created, created_again) == (True, False)
    assert first.pk == again.pk
    assert Follow.objects.filter(user=viewer).count() == 1


def test_unfollowing_what_is_not_followed_does_nothing(world, viewer):
    assert services.follow_delete(user=viewer, target=world["theme"]) is False
    services.follow_create(user=viewer, target=world["theme"])
    assert services.follow_delete(user=viewer, target=world["theme"]) is True
    assert not Follow.objects.exists()


def test_each_kind_of_thing_is_followed_by_its_own_field(world, viewer):
    for kind in KINDS:
        follow, _ = services.follow_create(user=viewer, target=world[kind])
        assert follow.kind == kind and follow.target == world[kind]


def test_something_that_cannot_be_followed_is_refused(viewer):
    with pytest.raises(TypeError):
        services.follow_create(user=viewer, target=viewer)


def test_making_users_follow_an_agency_adds_only_who_is_missing(world, viewer, editor):
    services.follow_create(user=viewer, target=world["agency"])
    added = services.follows_create_for_users(target=world["agency"], users=[viewer, editor])
    assert added == [editor]
    assert services.follows_create_for_users(target=world["agency"], users=[viewer, editor]) == []
    assert Follow.objects.filter(agency=world["agency"]).count() == 2


# --- the button on each page -------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_each_page_shows_a_follow_button_in_its_state(viewer_client, world, viewer, kind):
    page = viewer_client.get(page_of(kind, world[kind])).content.decode()
    assert f"Follow this {LABELS[kind]}</button>" in page
    assert 'aria-pressed="false"' in page
    services.follow_create(user=viewer, target=world[kind])
    page = viewer_client.get(page_of(kind, world[kind])).content.decode()
    assert f"Following this {LABELS[kind]} — unfollow</button>" in page
    assert 'aria-pressed="true"' in page
    assert f'action="/following/{kind}/{world[kind].pk}/unfollow/"' in page


@pytest.mark.parametrize("kind", KINDS)
def test_following_without_javascript_redirects_back_to_the_page(viewer_client, world, viewer, kind):
    url = page_of(kind, world[kind])
    response = viewer_client.post(f"/following/{kind}/{world[kind].pk}/follow/", {"next": url})
    assert response.status_code == 302 and response["Location"] == url
    assert Follow.objects.filter(user=viewer, **{kind: world[kind]}).exists()
    page = viewer_client.get(url).content.decode()
    assert f"You now follow this {LABELS[kind]}." in page  # the message
    response = viewer_client.post(f"/following/{kind}/{world[kind].pk}/unfollow/", {"next": url})
    assert response.status_code == 302 and response["Location"] == url
    assert not Follow.objects.exists()


@pytest.mark.parametrize("kind", KINDS)
def test_following_with_htmx_answers_with_the_button_alone(viewer_client, world, kind):
    pk = world[kind].pk
    response = viewer_client.post(f"/following/{kind}/{pk}/follow/", {"next": "/"}, **HTMX)
    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in body and "<nav" not in body
    assert f'id="follow-{kind}-{pk}"' in body and 'aria-pressed="true"' in body
    assert f'hx-swap-oob="innerHTML:#follow-{kind}-{pk}-notice">You now follow this {LABELS[kind]}.' in body
    body = viewer_client.post(f"/following/{kind}/{pk}/unfollow/", {"next": "/"}, **HTMX).content.decode()
    assert 'aria-pressed="false"' in body and f"Follow this {LABELS[kind]}</button>" in body
    assert f"You no longer follow this {LABELS[kind]}." in body


@pytest.mark.parametrize("kind", KINDS)
def test_following_twice_or_unfollowing_twice_is_harmless(viewer_client, world, viewer, kind):
    url = f"/following/{kind}/{world[kind].pk}/"
    for _ in range(2):
        assert viewer_client.post(url + "follow/").status_code == 302
    assert Follow.objects.filter(user=viewer).count() == 1
    for _ in range(2):
        assert viewer_client.post(url + "unfollow/", **HTMX).status_code == 200
    assert not Follow.objects.exists()


@pytest.mark.parametrize("kind", KINDS)
def test_following_something_that_does_not_exist_is_not_found(viewer_client, world, kind):
    assert viewer_client.post(f"/following/{kind}/999999/follow/").status_code == 404
    assert viewer_client.post(f"/following/{kind}/999999/unfollow/", **HTMX).status_code == 404
    assert not Follow.objects.exists()


def test_following_a_kind_of_thing_that_cannot_be_followed_is_not_found(viewer_client, world):
    assert viewer_client.post(f"/following/user/{world['agency'].pk}/follow/").status_code == 404
    assert viewer_client.post(f"/following/source/{world['agency'].pk}/follow/").status_code == 404


@pytest.mark.parametrize("kind", KINDS)
def test_following_needs_a_login(client, world, kind):
    url = f"/following/{kind}/{world[kind].pk}/follow/"
    response = client.post(url)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    response = client.post(url, HTTP_HX_CURRENT_URL="http://testserver/agencies/a0/", **HTMX)
    assert response["HX-Redirect"].startswith("/accounts/login/")
    assert not Follow.objects.exists()


def test_following_is_a_post(viewer_client, world):
    assert viewer_client.get(f"/following/agency/{world['agency'].pk}/follow/").status_code == 405
    assert not Follow.objects.exists()


def test_a_next_page_elsewhere_is_ignored(viewer_client, world):
    response = viewer_client.post(
        f"/following/agency/{world['agency'].pk}/follow/", {"next": "https://elsewhere.example/"}
    )
    assert response["Location"] == world["agency"].get_absolute_url()


def test_follow_needs_the_csrf_token(world, viewer):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(viewer)
    assert client.post(f"/following/agency/{world['agency'].pk}/follow/").status_code == 403
    page = client.get(world["agency"].get_absolute_url()).content.decode()
    assert 'name="csrfmiddlewaretoken"' in page.split('class="follow-form"')[1].split("</form>")[0]


# --- "What I follow" -------------------------------------------------------------------------------


def test_what_i_follow_explains_how_to_follow_when_empty(viewer_client):
    page = viewer_client.get("/following/").content.decode()
    assert "You do not follow anything yet" in page
    assert "“Follow” button" in page


def test_what_i_follow_groups_follows_by_kind_with_their_state(viewer_client, world, viewer):
    for kind in KINDS:
        services.follow_create(user=viewer, target=world[kind])
    response = viewer_client.get("/following/")
    page = response.content.decode()
    groups = response.context["groups"]
    assert [kind for kind, _, _ in groups] == KINDS
    by_kind = {kind: items for kind, _, items in groups}
    dialogue = by_kind["dialogue"][0]
    assert (dialogue.total, dialogue.overdue) == (3, 1)
    assert {s.value: s.count for s in dialogue.counts}[Status.NOT_STARTED] == 3
    assert by_kind["agency"][0].total == 3 and by_kind["theme"][0].total == 3
    assert by_kind["commitment"][0].target == world["commitment"]
    for heading in ("Dialogues (1)", "Objectives (1)", "Agencies (1)", "Commitments (1)"):
        assert heading in page
    assert "1 overdue" in page
    assert "The 3 commitments your follows cover" in page
    assert page.count("— unfollow</button>") == 4


def test_a_followed_commitment_shows_its_status_progress_and_due_date(viewer_client, world, viewer, editor):
    commitment = world["commitments"][0]
    post_update(commitment, editor, status=Status.AT_RISK, progress=40, reason="funding")
    services.follow_create(user=viewer, target=commitment)
    page = viewer_client.get("/following/").content.decode()
    section = page.split("Commitments (1)")[1]
    assert 'status-at_risk">At risk' in section
    assert 'value="40"' in section
    assert "due 1 Jan 2020" in section and "Overdue" in section


def test_unfollowing_from_what_i_follow_comes_back_to_it(viewer_client, world, viewer):
    services.follow_create(user=viewer, target=world["theme"])
    response = viewer_client.post(f"/following/theme/{world['theme'].pk}/unfollow/", {"next": "/following/"})
    assert response["Location"] == "/following/"
    assert "You do not follow anything yet" in viewer_client.get("/following/").content.decode()


def test_the_unfollow_buttons_of_what_i_follow_say_which_thing_they_are_for(viewer_client, world, viewer):
    services.follow_create(user=viewer, target=world["agency"])
    page = viewer_client.get("/following/").content.decode()
    name_id = f"followed-agency-{world['agency'].pk}"
    assert f'id="{name_id}"' in page and f'aria-describedby="{name_id}"' in page


def test_what_i_follow_marks_what_is_new_since_the_last_visit(viewer_client, world, viewer, editor):
    services.follow_create(user=viewer, target=world["dialogue"])
    viewer_client.get("/following/")
    quiet, busy = world["commitments"][0], world["commitments"][2]
    post_update(busy, editor, text="Launched the data exchange.")
    response = viewer_client.get("/following/")
    page = response.content.decode()
    assert "1 new update since your last visit" in page
    assert "Launched the data exchange." in page
    rows = list(response.context["page"].commitments)
    assert rows[0] == busy and rows[0].is_new
    assert not next(c for c in rows if c == quiet).is_new
    # Seen now: the next visit has nothing new.
    assert "Nothing new" in viewer_client.get("/following/").content.decode()


# --- the weekly digest's toggle on "What I follow" ---------------------------------------------------


def digest_checkbox(page: str) -> str:
    return page.split('name="digest_enabled"')[1].split(">")[0]


@pytest.mark.parametrize("follows_something", [False, True])
def test_the_digest_is_turned_off_and_on_from_what_i_follow(viewer_client, world, viewer, follows_something):
    from tracker.models import DigestSubscription

    if follows_something:  # the choice then rides on the follows' query; else it is read on its own
        services.follow_create(user=viewer, target=world["agency"])
    page = viewer_client.get("/following/").content.decode()
    assert "Send me the weekly digest" in page and "checked" in digest_checkbox(page)  # on by default

    response = viewer_client.post("/following/digest/", {}, follow=True)  # the box unchecked
    assert response.redirect_chain == [("/following/", 302)]
    assert not DigestSubscription.objects.get(user=viewer).digest_enabled
    page = response.content.decode()
    assert "The weekly digest is off" in page and "checked" not in digest_checkbox(page)

    response = viewer_client.post("/following/digest/", {"digest_enabled": "on"}, follow=True)
    assert DigestSubscription.objects.get(user=viewer).digest_enabled
    page = response.content.decode()
    assert "The weekly digest is on" in page and "checked" in digest_checkbox(page)
    assert DigestSubscription.objects.filter(user=viewer).count() == 1


def test_the_digest_toggle_takes_only_a_post_with_the_csrf_token_and_a_login(client, viewer):
    from django.test import Client

    from tracker.models import DigestSubscription

    assert client.post("/following/digest/", {})["Location"].startswith("/accounts/login/")
    guarded = Client(enforce_csrf_checks=True)
    guarded.force_login(viewer)
    assert guarded.post("/following/digest/", {}).status_code == 403
    page = guarded.get("/following/").content.decode()
    form = page.split('action="/following/digest/"')[1].split("</form>")[0]
    assert 'name="csrfmiddlewaretoken"' in form
    client.force_login(viewer)
    assert client.get("/following/digest/").status_code == 405
    assert not DigestSubscription.objects.exists()


def test_the_digest_toggle_warns_an_account_without_an_email_address(viewer_client, viewer):
    assert not viewer.email
    assert "Your account has no email address" in viewer_client.get("/following/").content.decode()
    viewer.email = "viewer@example.org"
    viewer.save()
    assert "Your account has no email address" not in viewer_client.get("/following/").content.decode()


# --- the header's count ---------------------------------------------------------------------------


def news_in_header(client):
    """The count the header shows: htmx asks tracker:following_news for it once the page has loaded."""
    return client.get("/following/news/", HTTP_HX_REQUEST="true").context["news"]


def test_every_page_asks_for_the_count_after_it_loads_and_does_not_read_it_itself(viewer_client, world):
    page = viewer_client.get("/dialogues/").content.decode()
    assert (
        '<span hx-get="/following/news/" hx-trigger="load" hx-swap="outerHTML" data-quiet-errors></span></a>'
        in page
    )
    assert "news-count" not in page
    # "What I follow" has just been seen: nothing new to count there.
    assert "/following/news/" not in viewer_client.get("/following/").content.decode()


def test_the_count_is_per_person_and_never_cached(viewer_client):
    response = viewer_client.get("/following/news/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and response.content.decode().strip() == ""  # nothing followed
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
    assert viewer_client.post("/following/news/").status_code == 405


def test_the_count_needs_a_login(client):
    response = client.get("/following/news/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_the_header_counts_new_updates_on_what_is_followed_since_the_last_visit(
    viewer_client, world, viewer, editor
):
    services.follow_create(user=viewer, target=world["agency"])
    viewer_client.get("/following/")
    assert news_in_header(viewer_client) == 0
    post_update(world["commitments"][0], editor)
    post_update(world["commitments"][1], editor, progress=50)
    badge = viewer_client.get("/following/news/", HTTP_HX_REQUEST="true").content.decode()
    assert (
        '<span class="news-count">2<span class="visually-hidden"> new updates since your last visit' in badge
    )
    viewer_client.get("/following/")  # the visit resets it
    badge = viewer_client.get("/following/news/", HTTP_HX_REQUEST="true").content.decode()
    assert news_in_header(viewer_client) == 0 and "news-count" not in badge


def test_the_header_counts_nothing_for_what_is_not_followed(
    viewer_client, world, viewer, editor, make_commitments
):
    other = make_commitments(1)[0]  # another dialogue; shares the agencies and themes
    services.follow_create(user=viewer, target=world["commitment"])
    viewer_client.get("/following/")
    post_update(other, editor)
    assert news_in_header(viewer_client) == 0
    post_update(world["commitment"], editor)
    assert news_in_header(viewer_client) == 1


def test_before_the_first_visit_news_starts_with_the_first_follow(viewer_client, world, viewer, editor):
    post_update(world["commitment"], editor)  # before following: not news
    follow, _ = services.follow_create(user=viewer, target=world["commitment"])
    Follow.objects.filter(pk=follow.pk).update(created_at=timezone.now() + datetime.timedelta(seconds=1))
    assert news_in_header(viewer_client) == 0
    services.follow_visit_record(user=viewer, at=timezone.now() - datetime.timedelta(days=1))
    assert news_in_header(viewer_client) == 1


def test_withdrawn_updates_are_not_news(viewer_client, world, viewer, editor):
    services.follow_create(user=viewer, target=world["commitment"])
    viewer_client.get("/following/")
    update = post_update(world["commitment"], editor)
    services.status_update_withdraw(update=update, by=editor, reason="Posted on the wrong commitment.")
    assert news_in_header(viewer_client) == 0


def test_each_person_has_their_own_count(client, world, viewer, editor):
    services.follow_create(user=viewer, target=world["commitment"])
    services.follow_visit_record(user=viewer, at=timezone.now() - datetime.timedelta(days=1))
    post_update(world["commitment"], editor)
    client.force_login(viewer)
    assert news_in_header(client) == 1
    client.force_login(editor)
    assert news_in_header(client) == 0


def test_a_visit_is_one_row_per_person(world, viewer):
    services.follow_visit_record(user=viewer)
    services.follow_visit_record(user=viewer)
    assert FollowVisit.objects.filter(user=viewer).count() == 1


def test_a_fragment_does_not_read_the_follows(viewer_client, world, viewer, django_assert_num_queries):
    services.follow_create(user=viewer, target=world["agency"])
    response = viewer_client.get("/commitments/?theme=t0", **HTMX)
    assert "follow_state" not in response.content.decode()
    assert response.context["follow_state"]._keys is None  # never asked


# --- the admin action ---------------------------------------------------------------------------


def admin_action(client, agencies, **data):
    return client.post(
        "/admin/tracker/agency/",
        {"action": "make_staff_follow", "_selected_action": [a.pk for a in agencies], **data},
    )


def test_the_admin_action_asks_whom_then_makes_them_follow(admin_client, superuser, world, viewer, editor):
    agency = world["agency"]
    response = admin_action(admin_client, [agency])
    assert response.status_code == 200
    page = response.content.decode()
    assert "Make this agency&#x27;s staff follow it" in page or "Make this agency's staff follow it" in page
    assert "viewer" in page and "Viewers" in page
    response = admin_action(admin_client, [agency], apply="1", users=[viewer.pk])
    assert response.status_code == 302
    assert list(Follow.objects.filter(agency=agency).values_list("user__username", flat=True)) == ["viewer"]
    entry = LogEntry.objects.get(object_id=str(agency.pk))
    assert entry.user == superuser and "viewer" in entry.get_change_message()


def test_the_admin_action_adds_everyone_in_the_chosen_groups_once(admin_client, world, viewer, editor):
    inactive = User.objects.create(username="gone", is_active=False)
    inactive.groups.add(Group.objects.get(name="Viewers"))
    groups = [Group.objects.get(name="Viewers").pk, Group.objects.get(name="Editors").pk]
    admin_action(admin_client, [world["agency"]], apply="1", groups=groups, users=[viewer.pk])
    admin_action(admin_client, [world["agency"]], apply="1", groups=groups)  # again: nothing new
    followers = Follow.objects.filter(agency=world["agency"]).values_list("user__username", flat=True)
    assert sorted(followers) == ["editor", "viewer"]
    response = admin_client.get("/admin/tracker/agency/")
    assert "0 of 2 chosen users now follow it" in response.content.decode()


def test_the_admin_action_needs_someone_chosen(admin_client, world):
    response = admin_action(admin_client, [world["agency"]], apply="1")
    assert response.status_code == 200
    assert "Choose at least one user or one group." in response.content.decode()
    assert not Follow.objects.exists()


def test_editors_cannot_make_others_follow(editor_client, world, viewer):
    page = editor_client.get("/admin/tracker/agency/").content.decode()
    assert "make_staff_follow" not in page
    admin_action(editor_client, [world["agency"]], apply="1", users=[viewer.pk])
    assert not Follow.objects.exists()


def test_the_button_is_per_person_on_a_page_served_from_the_cache(client, world, viewer, editor):
    services.follow_create(user=viewer, target=world["commitment"])
    url = world["commitment"].get_absolute_url()
    client.force_login(viewer)
    assert "Following this commitment — unfollow" in client.get(url).content.decode()
    client.force_login(editor)  # the same cached parts, another person
    page = client.get(url).content.decode()
    assert "Follow this commitment</button>" in page and "— unfollow" not in page


def test_a_page_shown_again_after_a_refused_post_sends_the_follow_back_to_the_page(editor_client, world):
    commitment = world["commitment"]
    response = editor_client.post(f"/commitments/{commitment.pk}/updates/", {"status": "on_track"})
    assert response.status_code == 422
    page = response.content.decode()
    assert 'name="next" value=""' in page
    response = editor_client.post(f"/following/commitment/{commitment.pk}/follow/", {"next": ""})
    assert response["Location"] == commitment.get_absolute_url()


def test_the_header_stops_counting_at_99_plus(viewer_client, world, viewer, editor):
    from tracker.models import StatusUpdate

    services.follow_create(user=viewer, target=world["commitment"])
    services.follow_visit_record(user=viewer, at=timezone.now() - datetime.timedelta(days=1))
    StatusUpdate.objects.bulk_create(
        StatusUpdate(commitment=world["commitment"], author=editor, status="on_track", progress=i, text="x")
        for i in range(101)
    )
    badge = viewer_client.get("/following/news/", HTTP_HX_REQUEST="true").content.decode()
    assert '<span class="news-count">99+<span' in badge
    assert "99+ new updates since your last visit" in viewer_client.get("/following/").content.decode()
