"""Who may do what: every role against every kind of URL and method, with the answer expected."""

import pytest
from django.urls import reverse
from django.utils import timezone

from tracker.models import Commitment, Round, StatusUpdate

ROLES = ["anonymous", "viewer", "editor", "superuser"]
LOGIN, OK, FORBIDDEN, NOT_ALLOWED, REDIRECT = "login", 200, 403, 405, 302


def url_of(name):
    commitment = Commitment.objects.get(slug="objective-stem-education")
    update = StatusUpdate.objects.counting().first()
    withdrawn = StatusUpdate.objects.filter(withdrawn_at__isnull=False).first()
    return {
        "overview": "/",
        "list": "/commitments/",
        "csv": "/commitments/export.csv",
        "xlsx": "/commitments/export.xlsx",
        "overview as of": "/?as_of=2022-06-30",
        "overview charts": "/overview/charts/",
        "changes": "/changes/",
        "changes csv": "/changes/export.csv",
        "commitment": commitment.get_absolute_url(),
        "post update": reverse("tracker:statusupdate_create", args=[commitment.pk]),
        "post assessment": reverse("tracker:assessment_create", args=[commitment.pk]),
        "withdraw update": reverse("tracker:statusupdate_withdraw", args=[commitment.pk, update.pk]),
        "restore update": reverse("tracker:statusupdate_restore", args=[commitment.pk, withdrawn.pk]),
        "agencies": "/agencies/",
        "agency": "/agencies/nasa/",
        "theme": "/themes/climate-crisis/",
        "source": f"/sources/{commitment.source_id}/",
        "dialogues": "/dialogues/",
        "dialogue": "/dialogues/us-france-space-dialogue/",
        "scorecard": "/dialogues/us-france-space-dialogue/scorecard/",
        "scorecard csv": "/dialogues/us-france-space-dialogue/scorecard/export.csv",
        "admin index": "/admin/",
        "admin commitments": "/admin/tracker/commitment/",
        "admin change commitment": f"/admin/tracker/commitment/{commitment.pk}/change/",
        "admin delete update": f"/admin/tracker/statusupdate/{update.pk}/delete/",
        "admin users": "/admin/auth/user/",
    }[name]


UPDATE = {
    "reported_on": "2024-03-01",
    "status": "on_track",
    "progress": "10",
    "text": "Met.",
    "is_staff": "on",
}

REASON = {"reason": "Posted twice."}


def assessment():
    """A valid assessment of the commitment, at the round the test gives its dialogue."""
    return {
        "round": Round.objects.get().pk,
        "party": "FR",
        "score": "0",
        "rationale": "Work in progress.",
        "assessed_on": "2024-03-01",
    }


# (url, method): answer for anonymous, viewer, editor, superuser
MATRIX = {
    **{
        (page, "GET"): (LOGIN, OK, OK, OK)
        for page in [
            "overview",
            "overview as of",
            "overview charts",
            "list",
            "csv",
            "xlsx",
            "changes",
            "changes csv",
            "commitment",
            "agencies",
            "agency",
            "theme",
            "source",
            "dialogues",
            "dialogue",
            "scorecard",
            "scorecard csv",
        ]
    },
    **{
        (page, "POST"): (LOGIN, NOT_ALLOWED, NOT_ALLOWED, NOT_ALLOWED)
        for page in [
            "overview",
            "overview charts",
            "list",
            "changes",
            "commitment",
            "dialogues",
            "dialogue",
            "scorecard",
            "scorecard csv",
        ]
    },
    ("post update", "GET"): (LOGIN, NOT_ALLOWED, NOT_ALLOWED, NOT_ALLOWED),
    ("post update", "POST"): (LOGIN, FORBIDDEN, REDIRECT, REDIRECT),
    ("post assessment", "GET"): (LOGIN, NOT_ALLOWED, NOT_ALLOWED, NOT_ALLOWED),
    ("post assessment", "POST"): (LOGIN, FORBIDDEN, REDIRECT, REDIRECT),
    # The update is the editor's own (see the test); the withdrawn one too.
    ("withdraw update", "GET"): (LOGIN, NOT_ALLOWED, NOT_ALLOWED, NOT_ALLOWED),
    ("withdraw update", "POST"): (LOGIN, FORBIDDEN, REDIRECT, REDIRECT),
    ("restore update", "GET"): (LOGIN, NOT_ALLOWED, NOT_ALLOWED, NOT_ALLOWED),
    ("restore update", "POST"): (LOGIN, FORBIDDEN, REDIRECT, REDIRECT),
    ("admin index", "GET"): (LOGIN, LOGIN, OK, OK),  # a viewer is not staff: the admin asks for a staff login
    ("admin commitments", "GET"): (LOGIN, LOGIN, OK, OK),
    ("admin change commitment", "GET"): (LOGIN, LOGIN, OK, OK),
    ("admin delete update", "GET"): (LOGIN, LOGIN, FORBIDDEN, OK),
    ("admin delete update", "POST"): (LOGIN, LOGIN, FORBIDDEN, REDIRECT),
    ("admin users", "GET"): (LOGIN, LOGIN, FORBIDDEN, OK),
}
CELLS = [
    (url, method, role, answers[i])
    for (url, method), answers in MATRIX.items()
    for i, role in enumerate(ROLES)
]


@pytest.mark.parametrize(
    ("url", "method", "role", "expected"), CELLS, ids=[f"{r} {m} {u}" for u, m, r, _ in CELLS]
)
def test_role_url_method_matrix(client, seed, request, editor, url, method, role, expected):
    commitment = Commitment.objects.get(slug="objective-stem-education")
    StatusUpdate.objects.create(commitment=commitment, author=editor, status="on_track", progress=1, text="x")
    StatusUpdate.objects.create(
        commitment=commitment,
        author=editor,
        status="at_risk",
        progress=2,
        text="y",
        withdrawn_at=timezone.now(),
        withdrawn_by=editor,
        withdrawal_reason="Wrong.",
    )
    Round.objects.create(dialogue=commitment.dialogue, number=1, held_on="2024-02-01")
    if role != "anonymous":
        client.force_login(request.getfixturevalue(role))
    path = url_of(url)
    data = {
        "post update": UPDATE,
        "post assessment": assessment(),
        "withdraw update": REASON,
        "restore update": REASON,
    }.get(url, {"post": "yes"})
    response = client.post(path, data) if method == "POST" else client.get(path)
    if expected == LOGIN:
        assert response.status_code == 302 and "login/?next=" in response["Location"]
    else:
        assert response.status_code == expected


def test_a_viewer_posting_an_update_changes_nothing(viewer_client, seed):
    commitment = Commitment.objects.get(slug="objective-stem-education")
    viewer_client.post(reverse("tracker:statusupdate_create", args=[commitment.pk]), UPDATE)
    assert StatusUpdate.objects.count() == 0


def test_extra_fields_never_promote_the_poster(editor_client, seed, editor):
    commitment = Commitment.objects.get(slug="objective-stem-education")
    editor_client.post(
        reverse("tracker:statusupdate_create", args=[commitment.pk]), UPDATE | {"is_superuser": "on"}
    )
    editor.refresh_from_db()
    assert not editor.is_superuser


def test_an_editor_may_not_withdraw_another_editors_update_but_a_superuser_may(
    client, seed, editor, superuser
):
    commitment = Commitment.objects.get(slug="objective-stem-education")
    theirs = StatusUpdate.objects.create(
        commitment=commitment, author=superuser, status="on_track", progress=1, text="x"
    )
    url = reverse("tracker:statusupdate_withdraw", args=[commitment.pk, theirs.pk])
    client.force_login(editor)
    assert client.post(url, REASON).status_code == FORBIDDEN
    client.force_login(superuser)
    assert client.post(url, REASON).status_code == REDIRECT


def test_editors_are_not_given_the_permission_to_withdraw_anyones_update(db):
    from django.contrib.auth.models import Group

    editors = Group.objects.get(name="Editors")
    assert not editors.permissions.filter(codename="withdraw_any_statusupdate").exists()
