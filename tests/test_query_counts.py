"""Every page makes the same number of queries with 5 commitments as with 50: nothing per row.

The numbers are pinned so a change that adds a query is noticed; two of them on every page are
the session and the user, which the login check needs. Pages whose body is cached until the data
changes (tracker/caching.py) are pinned twice: computing it, and serving it again (session, user
and the data token).
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tracker import services
from tracker.models import Agency, Commitment, SourceDocument, Status

HTMX = {"HTTP_HX_REQUEST": "true"}


def build(make_commitments, editor, n):
    source = SourceDocument.objects.create(
        title="Release", published_on="2024-01-01", text="we will do things"
    )
    commitments = make_commitments(n)
    parent = commitments[0]
    for c in commitments:
        Commitment.objects.filter(pk=c.pk).update(
            source=source, quote="we will", parent=parent if c != parent else None
        )
        for progress in (10, 20):
            services.status_update_create(
                commitment=c, author=editor, status=Status.ON_TRACK, progress=progress, text="x"
            )
    parent.refresh_from_db()
    return parent


SERVED_FROM_CACHE = 3
# name: (url, headers, queries the first time, queries when asked again with the data unchanged)
PAGES = {
    "overview": (lambda p: "/", {}, 8, SERVED_FROM_CACHE),
    "list": (lambda p: "/commitments/", {}, 9, SERVED_FROM_CACHE),
    "list filtered": (
        lambda p: "/commitments/?theme=t0&agency=a0&role=lead&status=on_track&q=Commit",
        {},
        9,
        SERVED_FROM_CACHE,
    ),
    "list fragment": (lambda p: "/commitments/?theme=t1&sort=-progress", HTMX, 9, SERVED_FROM_CACHE),
    "csv": (lambda p: "/commitments/export.csv?country=US", {}, 5, 5),
    "agencies": (lambda p: "/agencies/", {}, 4, 4),
    "agency": (lambda p: "/agencies/a0/", {}, 7, 7),
    # 2 of these read the last 12 months for the charts.
    "theme": (lambda p: "/themes/t0/", {}, 9, 9),
    # An editor: 2 of these check the permission to post, for the form, and 1 reads the trail, which
    # carries their withdraw forms and so is not cached (views._detail_context).
    "commitment": (lambda p: f"/commitments/{p.pk}/", {}, 11, SERVED_FROM_CACHE + 3),
    "source": (lambda p: f"/sources/{p.source_id}/", {}, 4, 4),
}


def queries_for(client, url, headers):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, **headers)
    assert response.status_code == 200
    return len(captured)


@pytest.mark.parametrize("name", PAGES)
def test_query_count_does_not_grow_with_the_data(
    client, editor, make_commitments, name, django_assert_num_queries
):
    url_of, headers, first, again = PAGES[name]
    client.force_login(editor)
    parent = build(make_commitments, editor, 5)
    with django_assert_num_queries(first):
        client.get(url_of(parent), **headers)
    with django_assert_num_queries(again):
        client.get(url_of(parent), **headers)
    make_commitments(45, dialogue=parent.dialogue)
    for extra in Commitment.objects.exclude(source__isnull=False):
        Commitment.objects.filter(pk=extra.pk).update(parent=parent, source=parent.source, quote="we will")
    Agency.objects.create(
        slug="a9", name="Agency 9", country="GB"
    )  # a write: the cached pages are recomputed
    with django_assert_num_queries(first):
        client.get(url_of(parent), **headers)
    with django_assert_num_queries(again):
        client.get(url_of(parent), **headers)


def test_posting_an_update_has_a_fixed_query_count(
    client, editor, make_commitments, django_assert_num_queries
):
    client.force_login(editor)
    parent = build(make_commitments, editor, 5)
    data = {"reported_on": "2024-02-01", "status": "at_risk", "progress": "30", "text": "Slipping."}
    # Auth and permissions 4, the form's constraint checks 6 (with savepoints), the service 8 (with
    # the duplicate check and the new data token), the trail 1.
    with django_assert_num_queries(20):
        response = client.post(f"/commitments/{parent.pk}/updates/", data, **HTMX)
    assert response.status_code == 200


def test_posting_an_update_that_moves_the_status_has_a_fixed_query_count(
    client, editor, make_commitments, django_assert_num_queries
):
    client.force_login(editor)
    parent = build(make_commitments, editor, 5)
    data = {
        "reported_on": timezone.localdate().isoformat(),
        "status": "at_risk",
        "progress": "30",
        "text": "Slip.",
    }
    # As above, and the commitment saved through the model (the back-dated update above leaves it as
    # it is): its row, its history row, a copy of its theme links (read, written), the data token again.
    with django_assert_num_queries(25):
        response = client.post(f"/commitments/{parent.pk}/updates/", data, **HTMX)
    assert response.status_code == 200


def test_viewers_get_the_commitment_page_from_the_cache(client, viewer, editor, make_commitments):
    client.force_login(viewer)
    parent = build(make_commitments, editor, 5)
    queries_for(client, f"/commitments/{parent.pk}/", {})
    assert queries_for(client, f"/commitments/{parent.pk}/", {}) == SERVED_FROM_CACHE + 2
