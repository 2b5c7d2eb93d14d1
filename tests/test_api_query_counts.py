"""The API's reads make the same number of queries with 5 commitments as with 50 (nothing per row),
pinned as tests/test_query_counts.py pins the pages. Two of them are the session and the user, one
the data token (read once: for the ETag, and as the list's cache key)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.test_query_counts import add_assessments_and_dependencies, build
from tracker.models import Agency, Commitment

# name: (url, queries the first time, queries when asked again with the data unchanged)
READS = {
    # The facet counts that give the total (2, cached until the data changes: the list page's: the
    # options' names, then every count in one query, see tracker/counts.py), the page of commitments with
    # their dialogue and source (joined), then their themes, agencies and blockers in one (2, see
    # tracker/api/items.py). Asked again, the whole page of data is cached (tracker/api/views.py
    # CommitmentList): the login and the data token only.
    "commitments": (lambda p: "/api/v1/commitments/", 7, 3),
    "commitments filtered": (
        lambda p: "/api/v1/commitments/?theme=t0&agency=a0&role=lead&status=on_track&q=Commit&sort=-progress",
        7,
        3,
    ),
    "commitments as of a day": (lambda p: "/api/v1/commitments/?as_of=2024-03-01&country=US", 7, 3),
    # The commitment with everything its page loads (7, see tests/test_query_counts.py "commitment":
    # with its themes and agencies, its dependencies and sub-commitments, its rounds, its assessments,
    # and every evidence file of its trail and assessments).
    "commitment": (lambda p: f"/api/v1/commitments/{p.pk}/", 10, 10),
    # The count, the page of updates with their authors (joined), their evidence files.
    "updates": (lambda p: "/api/v1/updates/?since=2000-01-01T00:00:00Z", 6, 6),
    # The count and the page (the themes' dialogue and the agencies' parent joined).
    "dialogues": (lambda p: "/api/v1/dialogues/", 5, 5),
    "agencies": (lambda p: "/api/v1/agencies/", 5, 5),
    "themes": (lambda p: "/api/v1/themes/", 5, 5),
}


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, response.content
    return len(captured)


@pytest.mark.parametrize("name", READS)
def test_api_query_count_does_not_grow_with_the_data(client, editor, make_commitments, name):
    url_of, first, again = READS[name]
    client.force_login(editor)
    parent = build(make_commitments, editor, 5)
    assert (count_queries(client, url_of(parent)), count_queries(client, url_of(parent))) == (first, again)
    make_commitments(45, dialogue=parent.dialogue)
    for extra in Commitment.objects.exclude(source__isnull=False):
        Commitment.objects.filter(pk=extra.pk).update(parent=parent, source=parent.source, quote="we will")
    Agency.objects.create(slug="a9", name="Agency 9", country="GB")  # a write: caches are recomputed
    assert (count_queries(client, url_of(parent)), count_queries(client, url_of(parent))) == (first, again)


def test_a_commitment_read_does_not_grow_with_rounds_assessments_or_dependencies(
    client, editor, make_commitments
):
    client.force_login(editor)
    parent = build(make_commitments, editor, 5)
    others = make_commitments(4, dialogue=parent.dialogue)
    url = f"/api/v1/commitments/{parent.pk}/"
    add_assessments_and_dependencies(parent, others[:2], editor, rounds=1)
    few = count_queries(client, url)
    add_assessments_and_dependencies(parent, others[2:], editor, rounds=3)
    assert count_queries(client, url) == few


def test_a_current_copy_costs_the_login_and_the_data_token_only(client, editor, make_commitments):
    client.force_login(editor)
    parent = build(make_commitments, editor, 5)
    etag = client.get("/api/v1/commitments/")["ETag"]
    with CaptureQueriesContext(connection) as captured:
        response = client.get("/api/v1/commitments/", HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 304
    assert len(captured) == 3
    assert parent
