"""Who may do what: every role against every kind of URL and method, with the answer expected."""

import pytest
from django.urls import reverse

from tracker.models import Commitment, StatusUpdate

ROLES = ["anonymous", "viewer", "editor", "superuser"]
LOGIN, OK, FORBIDDEN, NOT_ALLOWED, REDIRECT = "login", 200, 403, 405, 302


def url_of(name):
    commitment = Commitment.objects.get(slug="objective-stem-education")
    update = StatusUpdate.objects.first()
    return {
        "overview": "/",
        "list": "/commitments/",
        "csv": "/commitments/export.csv",
        "commitment": commitment.get_absolute_url(),
        "post update": reverse("tracker:statusupdate_create", args=[commitment.pk]),
        "agencies": "/agencies/",
        "agency": "/agencies/nasa/",
        "theme": "/themes/climate-crisis/",
        "source": f"/sources/{commitment.source_id}/",
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

# (url, method): answer for anonymous, viewer, editor, superuser
MATRIX = {
    **{
        (page, "GET"): (LOGIN, OK, OK, OK)
        for page in ["overview", "list", "csv", "commitment", "agencies", "agency", "theme", "source"]
    },
    **{
        (page, "POST"): (LOGIN, NOT_ALLOWED, NOT_ALLOWED, NOT_ALLOWED)
        for page in ["overview", "list", "commitment"]
    },
    ("post update", "GET"): (LOGIN, NOT_ALLOWED, NOT_ALLOWED, NOT_ALLOWED),
    ("post update", "POST"): (LOGIN, FORBIDDEN, REDIRECT, REDIRECT),
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
    if role != "anonymous":
        client.force_login(request.getfixturevalue(role))
    path = url_of(url)
    response = (
        client.post(path, UPDATE if url == "post update" else {"post": "yes"})
        if method == "POST"
        else client.get(path)
    )
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
