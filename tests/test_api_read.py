"""The API's reads: every endpoint, the same commitments as the list page for the same query
string, bad input as problems, conditional GETs, the schema."""

import datetime
from urllib.parse import urlencode

import pytest
from django.core.management import call_command
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import reason_for
from tracker import services
from tracker.models import Agency, Commitment, Round, Status, StatusUpdate, Theme

pytestmark = pytest.mark.django_db

D = datetime.date
PROBLEM = "application/problem+json"


@pytest.fixture
def world(seed, editor):
    """The default dialogue with its commitments in several states, some due, one blocked, one
    with a sub-commitment, assessed at a round."""
    commitments = list(Commitment.objects.order_by("pk"))
    plan = [
        (Status.ON_TRACK, 40, D(2022, 3, 1)),
        (Status.AT_RISK, 20, D(2023, 5, 1)),
        (Status.COMPLETED, 100, D(2022, 9, 1)),
        (Status.OFF_TRACK, 10, D(2024, 1, 1)),
        (Status.ON_TRACK, 70, D(2024, 6, 1)),
        (Status.ON_TRACK, 50, D(2023, 2, 1)),
    ]
    for commitment, (status, progress, day) in zip(commitments, plan, strict=False):
        services.status_update_create(
            commitment=commitment,
            author=editor,
            status=status,
            progress=progress,
            text="News.",
            reported_on=day,
            **reason_for(status),
        )
    Commitment.objects.filter(pk__in=[commitments[1].pk, commitments[6].pk]).update(due_on=D(2023, 1, 1))
    Commitment.objects.filter(pk=commitments[7].pk).update(due_on=D(2099, 1, 1), parent=commitments[0])
    commitments[4].blocked_by.add(commitments[3])  # off track: it holds the other up
    round_ = Round.objects.create(dialogue=seed, number=1, held_on=D(2024, 6, 1))
    services.assessment_create(
        commitment=commitments[0], round=round_, party="US", score=1, rationale="Seen.", assessor=editor
    )
    return commitments


def problem_of(response, status):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == PROBLEM
    return response.json()


# --- every endpoint -----------------------------------------------------------------------------


def test_dialogues_are_listed_and_read_by_slug(viewer_client, world, seed):
    listed = viewer_client.get("/api/v1/dialogues/").json()
    assert listed["count"] == 1
    assert listed["results"][0]["slug"] == seed.slug
    one = viewer_client.get(f"/api/v1/dialogues/{seed.slug}/").json()
    assert one["parties"] == ["US", "FR"]
    assert one["url"] == f"http://testserver/dialogues/{seed.slug}/"


def test_themes_and_agencies_are_listed_in_a_stable_order_and_read_by_slug(viewer_client, world):
    themes = viewer_client.get("/api/v1/themes/").json()
    assert [t["slug"] for t in themes["results"]] == list(
        Theme.objects.order_by("order", "name", "pk").values_list("slug", flat=True)
    )
    agencies = viewer_client.get("/api/v1/agencies/?page_size=100").json()
    assert [a["slug"] for a in agencies["results"]] == list(
        Agency.objects.order_by("country", "name", "pk").values_list("slug", flat=True)
    )
    theme = Theme.objects.first()
    assert viewer_client.get(f"/api/v1/themes/{theme.slug}/").json()["name"] == theme.name
    agency = Agency.objects.exclude(parent=None).first()
    body = viewer_client.get(f"/api/v1/agencies/{agency.slug}/").json()
    assert body["parent"] == agency.parent.slug
    assert body["country_name"]


def test_an_unknown_slug_is_a_404_problem(viewer_client, world):
    for kind in ("dialogues", "themes", "agencies"):
        problem_of(viewer_client.get(f"/api/v1/{kind}/no-such-thing/"), 404)


def test_a_commitment_in_the_list_carries_everything_a_row_shows(viewer_client, world):
    first = world[0]
    Commitment.objects.filter(pk=first.pk).update(quote="")
    body = viewer_client.get("/api/v1/commitments/").json()
    item = next(i for i in body["results"] if i["id"] == world[3].pk)
    assert item["status"] == {"code": "off_track", "label": "Off track"}
    assert item["progress"] == 10
    assert item["last_update_on"] == "2024-01-01"
    assert item["dialogue"]["slug"] == world[3].dialogue.slug
    assert {a["role"] for a in item["agencies"]} <= {"lead", "partner"}
    assert all(a["country"] for a in item["agencies"])
    assert item["url"] == f"http://testserver/commitments/{world[3].pk}/"
    assert set(item) >= {"themes", "announced_on", "due_on", "is_overdue", "is_stale", "is_blocked", "quote"}
    blocked = next(i for i in body["results"] if i["id"] == world[4].pk)
    assert blocked["is_blocked"] is True
    overdue = next(i for i in body["results"] if i["id"] == world[1].pk)
    assert overdue["is_overdue"] is True
    with_source = next(i for i in body["results"] if i["source"])
    assert with_source["source"]["url"].startswith("http://testserver/sources/")


def test_a_commitment_has_its_trail_children_blockers_and_assessments(viewer_client, world, editor):
    first = world[0]
    later = services.status_update_create(
        commitment=first,
        author=editor,
        status=Status.ON_TRACK,
        progress=60,
        text="Wrong.",
        reported_on=D(2024, 2, 1),
    )
    services.status_update_withdraw(update=later, by=editor, reason="Typed in error.")
    body = viewer_client.get(f"/api/v1/commitments/{first.pk}/").json()
    assert [u["progress"] for u in body["trail"]] == [60, 40]
    assert body["trail"][0]["withdrawn"]["reason"] == "Typed in error."
    assert body["trail"][1]["withdrawn"] is None
    assert body["progress"] == 40  # the withdrawn update does not count
    children = list(Commitment.objects.filter(parent=first).order_by("id").values_list("pk", flat=True))
    assert world[7].pk in children
    assert [c["id"] for c in body["sub_commitments"]] == children
    assert body["assessments"]["latest_round"]["number"] == 1
    us = next(p for p in body["assessments"]["parties"] if p["party"] == "US")
    assert us["latest"]["score"] == 1
    blocked = viewer_client.get(f"/api/v1/commitments/{world[4].pk}/").json()
    assert [(b["commitment"]["id"], b["troubling"]) for b in blocked["blocked_by"]] == [(world[3].pk, True)]
    blocker = viewer_client.get(f"/api/v1/commitments/{world[3].pk}/").json()
    assert [b["commitment"]["id"] for b in blocker["blocks"]] == [world[4].pk]


def test_a_commitment_as_of_a_past_day_shows_its_trail_up_to_that_day(viewer_client, world):
    body = viewer_client.get(f"/api/v1/commitments/{world[4].pk}/?as_of=2024-01-31").json()
    assert body["trail"] == []
    assert body["status"]["code"] == "not_started"
    assert body["url"].endswith("?as_of=2024-01-31")


def test_a_commitment_not_announced_by_the_day_is_a_404_problem(viewer_client, world):
    problem_of(viewer_client.get(f"/api/v1/commitments/{world[0].pk}/?as_of=2000-01-01"), 404)
    problem_of(viewer_client.get("/api/v1/commitments/999999/"), 404)


def test_updates_since_a_moment_are_listed_by_recording_time(viewer_client, world, editor):
    cut = timezone.now()
    StatusUpdate.objects.update(created_at=cut - datetime.timedelta(days=1))
    newer = [
        services.status_update_create(
            commitment=c, author=editor, status=Status.ON_TRACK, progress=90, text="Later."
        )
        for c in (world[2], world[0])
    ]
    body = viewer_client.get("/api/v1/updates/?" + urlencode({"since": cut.isoformat()})).json()
    assert [u["id"] for u in body["results"]] == [u.pk for u in newer]
    assert body["results"][0]["commitment"] == world[2].pk
    everything = viewer_client.get("/api/v1/updates/?since=2000-01-01T00:00:00Z&page_size=100").json()
    assert everything["count"] == StatusUpdate.objects.count()


@pytest.mark.parametrize("since", ["", "yesterday", "2024-13-01T00:00:00", "2024-01-01T00:00:00 01:00"])
def test_a_bad_or_missing_since_is_a_400_naming_it(viewer_client, world, since):
    body = problem_of(viewer_client.get("/api/v1/updates/", {"since": since} if since else {}), 400)
    assert body["errors"][0]["field"] == "since"


def test_changes_are_classified_as_on_the_changes_page(viewer_client, world):
    body = viewer_client.get("/api/v1/changes/?from=2023-12-01&to=2024-03-01&page_size=100").json()
    assert body["window"] == {"from": "2023-12-01", "to": "2024-03-01"}
    slipped = [r for r in body["results"] if r["kind"] == "slipped"]
    assert {r["id"] for r in slipped} == {world[3].pk}
    assert next(k for k in body["kinds"] if k["kind"] == "slipped")["count"] == 1


@pytest.mark.parametrize(
    "query, field",
    [
        ("from=2024-03-01&to=2024-01-01", "from"),
        ("to=nope", "to"),
        ("from=2024-02-30", "from"),
        ("status=x", "status"),
    ],
)
def test_a_bad_window_or_filter_of_the_changes_is_a_400_naming_it(viewer_client, world, query, field):
    body = problem_of(viewer_client.get(f"/api/v1/changes/?{query}"), 400)
    assert body["errors"][0]["field"] == field


def test_the_scorecard_of_a_round(viewer_client, world, seed):
    body = viewer_client.get(f"/api/v1/dialogues/{seed.slug}/scorecard/?round=1").json()
    assert body["round"]["number"] == 1
    row = next(r for r in body["rows"] if r["commitment"]["id"] == world[0].pk)
    us = next(c for c in row["cells"] if c["party"] == "US")
    assert (us["score"], us["state"]) == (1, "scored")
    assert body["overall"]["scored"] == 1


def test_the_scorecard_refuses_a_bad_round_and_a_missing_one(viewer_client, world, seed):
    body = problem_of(viewer_client.get(f"/api/v1/dialogues/{seed.slug}/scorecard/?round=x"), 400)
    assert body["errors"][0]["field"] == "round"
    problem_of(viewer_client.get(f"/api/v1/dialogues/{seed.slug}/scorecard/?round=7"), 404)


# --- the same commitments as the list page --------------------------------------------------------


def html_ids(client, query: str) -> tuple[int, list[int]] | None:
    """(total, ids of the first page) of the list page, or None when the page refuses the query."""
    response = client.get(f"/commitments/?{query}")
    if response.status_code == 400:
        return None
    assert response.status_code == 200
    browser = response.context["browser"]
    if not browser.valid:
        return None
    return browser.total, [c.pk for c in browser.page.object_list]


def api_ids(client, query: str) -> tuple[int, list[int]] | None:
    response = client.get(f"/api/v1/commitments/?{query}")
    if response.status_code == 400:
        assert response["Content-Type"] == PROBLEM
        return None
    assert response.status_code == 200, response.content
    body = response.json()
    return body["count"], [item["id"] for item in body["results"]]


def values(world):
    """Real slugs and codes of the data, so the queries match something."""
    first = world[0]
    return {
        "theme": first.themes.first().slug,
        "agency": first.participations.first().agency.slug,
        "country": first.participations.first().country,
        "dialogue": first.dialogue.slug,
    }


QUERIES = [
    "",
    "status=on_track",
    "status=on_track&status=at_risk&sort=-progress",
    "theme={theme}",
    "theme={theme}&sort=title",
    "agency={agency}",
    "agency={agency}&role=lead",
    "agency={agency}&role=partner&status=not_started",
    "country={country}&role=lead",
    "country=FR&country=US&sort=due",
    "dialogue={dialogue}&sort=updated",
    "q=satellite",
    "q=  &sort=-updated",
    "due=overdue",
    "stale=1",
    "blocked=1",
    "reason=technical",
    "sort=-rollup",
    "sort=progress&theme={theme}&country={country}",
    "as_of=2023-06-01",
    "as_of=2023-06-01&status=at_risk",
    "as_of=2022-06-01&sort=-progress&due=overdue",
    "due=soon",
    "due=soon&due=overdue&sort=due",
    "theme=no-such-theme",
    "agency=nobody&status=on_track",
    # Malformed: both refuse them (the page with a message, the API with a 400).
    "status=finished",
    "sort=sideways",
    "due=someday",
    "role=boss",
    "theme=%00",
    "as_of=tomorrow",
    "as_of=2999-01-01",
    "q=" + "x" * 201,
]


@pytest.mark.parametrize("query", QUERIES)
def test_the_api_lists_what_the_list_page_lists(viewer_client, world, query):
    query = query.format(**values(world))
    assert api_ids(viewer_client, query) == html_ids(viewer_client, query)


def test_the_parity_queries_are_not_all_empty(viewer_client, world):
    """The comparison above means something only if the filters pick different commitments."""
    found = {tuple(api_ids(viewer_client, q.format(**values(world)))[1]) for q in QUERIES[:22]}
    assert len(found) > 8


def test_an_unknown_slug_matches_nothing_and_is_named(viewer_client, world):
    body = viewer_client.get("/api/v1/commitments/?theme=no-such-theme&agency=nobody").json()
    assert body["count"] == 0
    assert body["unknown"] == [
        {"field": "theme", "value": "no-such-theme"},
        {"field": "agency", "value": "nobody"},
    ]


@pytest.mark.parametrize(
    "query, field",
    [
        ("status=finished", "status"),
        ("reason=bored", "reason"),
        ("sort=sideways", "sort"),
        ("due=someday", "due"),
        ("stale=yes", "stale"),
        ("blocked=2", "blocked"),
        ("role=boss", "role"),
        ("theme=%00", "theme"),
        ("dialogue=a%20b", "dialogue"),
        ("as_of=tomorrow", "as_of"),
        ("as_of=2999-01-01", "as_of"),
        ("as_of=1800-01-01", "as_of"),
        ("as_of=2024-01-01&as_of=2024-02-01", "as_of"),
        ("page_size=0", "page_size"),
        ("page_size=101", "page_size"),
    ],
)
def test_a_malformed_filter_is_a_400_naming_it(viewer_client, world, query, field):
    body = problem_of(viewer_client.get(f"/api/v1/commitments/?{query}"), 400)
    assert [e["field"] for e in body["errors"]] == [field]
    assert body["errors"][0]["message"]


@pytest.mark.parametrize("page", ["99", "0", "x"])
def test_a_page_beyond_the_end_is_a_404_problem(viewer_client, world, page):
    problem_of(viewer_client.get(f"/api/v1/commitments/?page={page}"), 404)


def test_pages_follow_one_another_in_a_stable_order(viewer_client, world):
    first = viewer_client.get("/api/v1/commitments/?page_size=4").json()
    second = viewer_client.get(first["next"]).json()
    ids = [i["id"] for i in first["results"] + second["results"]]
    assert ids == list(Commitment.objects.order_by("announced_on", "id").values_list("pk", flat=True))[:8]


# Query strings a client might send, well- and ill-formed: each filter's real, unknown and malformed
# values, names repeated.
FIXED = {
    "status": ["on_track", "at_risk", "off_track", "completed", "not_started", "done"],
    "reason": ["technical", "funding", "because"],
    "role": ["lead", "partner", "boss"],
    "due": ["overdue", "late"],
    "stale": ["1", "0"],
    "blocked": ["1", "yes"],
    "sort": ["", "title", "-progress", "progress", "due", "-updated", "updated", "-rollup", "up"],
    "as_of": ["2022-06-01", "2023-06-01", "2024-03-01", "2023-02-30", "1899-12-31"],
    "q": ["", "satellite", "Space", "  ", "%", "_"],
}
SLUGGED = ("theme", "agency", "country", "dialogue")


def queries(real: dict):
    """Lists of (name, value) pairs: each filter's real, unknown and malformed values, repeated
    names included."""
    by_name = {**FIXED, **{name: [real[name], "unknown-one", "bad slug", "US"] for name in SLUGGED}}
    pair = st.sampled_from(sorted(by_name)).flatmap(
        lambda name: st.tuples(st.just(name), st.sampled_from(by_name[name]))
    )
    return st.lists(pair, max_size=4)


def test_generated_query_strings_give_the_same_commitments_as_the_list_page(viewer_client, world):
    real = values(world)

    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(queries(real))
    def check(pairs):
        query = urlencode(pairs)
        assert api_ids(viewer_client, query) == html_ids(viewer_client, query), query

    check()


# --- who may read -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/commitments/",
        "/api/v1/commitments/1/",
        "/api/v1/dialogues/",
        "/api/v1/updates/?since=2024-01-01T00:00",
        "/api/v1/changes/",
        "/api/v1/themes/",
        "/api/v1/agencies/",
        "/api/v1/schema/",
    ],
)
def test_an_anonymous_client_gets_a_problem_not_a_page(client, world, url):
    response = client.get(url)
    assert response.status_code in (401, 403)
    assert response["Content-Type"] == PROBLEM


def test_the_docs_send_a_visitor_to_log_in(client):
    response = client.get("/api/v1/docs/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_the_docs_load_their_script_from_a_file_not_inline(viewer_client):
    page = viewer_client.get("/api/v1/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "<style>" not in html
    assert '<script src="/api/v1/docs/?script=' in html
    script = viewer_client.get("/api/v1/docs/?script=")
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert "/api/v1/schema/" in script.content.decode()


# --- conditional GETs ---------------------------------------------------------------------------


def test_a_client_that_has_the_current_copy_gets_a_304(viewer_client, world):
    first = viewer_client.get("/api/v1/commitments/?status=on_track")
    etag = first["ETag"]
    again = viewer_client.get("/api/v1/commitments/?status=on_track", HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == etag
    weak = viewer_client.get("/api/v1/commitments/?status=on_track", HTTP_IF_NONE_MATCH=f'W/{etag}, "x"')
    assert weak.status_code == 304


def test_each_address_has_its_own_etag(viewer_client, world):
    one = viewer_client.get("/api/v1/commitments/?status=on_track")["ETag"]
    other = viewer_client.get("/api/v1/commitments/?status=at_risk")
    assert other["ETag"] != one
    assert viewer_client.get("/api/v1/commitments/?status=at_risk", HTTP_IF_NONE_MATCH=one).status_code == 200


def test_a_status_update_changes_every_etag(viewer_client, world, editor):
    urls = [f"/api/v1/commitments/{world[2].pk}/", "/api/v1/dialogues/", "/api/v1/commitments/"]
    etags = {url: viewer_client.get(url)["ETag"] for url in urls}
    services.status_update_create(
        commitment=world[2], author=editor, status=Status.ON_TRACK, progress=95, text="Moving."
    )
    for url in urls:
        response = viewer_client.get(url, HTTP_IF_NONE_MATCH=etags[url])
        assert response.status_code == 200
        assert response["ETag"] != etags[url]
    assert viewer_client.get(urls[0]).json()["progress"] == 95


def test_the_list_kept_for_an_address_is_fresh_after_a_write(viewer_client, world, editor):
    """The list's page of data is cached until the data changes (CommitmentList): a client that
    does not send its ETag back gets the new data at once after a write, and each day asked for
    keeps its own page."""
    url = "/api/v1/commitments/"

    def progress_of(response):
        return {item["id"]: item["progress"] for item in response.json()["results"]}[world[2].pk]

    assert progress_of(viewer_client.get(url)) == 100
    assert progress_of(viewer_client.get(url)) == 100  # kept
    services.status_update_create(
        commitment=world[2], author=editor, status=Status.ON_TRACK, progress=95, text="Moving."
    )
    assert progress_of(viewer_client.get(url)) == 95
    assert progress_of(viewer_client.get(url + "?as_of=2022-10-01")) == 100


def test_a_refused_read_carries_no_etag(viewer_client, world):
    assert not viewer_client.get("/api/v1/commitments/?status=nope").has_header("ETag")


# --- the schema ---------------------------------------------------------------------------------


def test_the_schema_is_generated_without_warnings_and_validates(tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))
    text = (tmp_path / "schema.yaml").read_text()
    assert "/api/v1/commitments/{id}/" in text


def test_the_schema_lists_the_list_pages_filters(viewer_client):
    schema = viewer_client.get("/api/v1/schema/?format=json").json()
    names = {p["name"] for p in schema["paths"]["/api/v1/commitments/"]["get"]["parameters"]}
    assert names >= {
        "q",
        "dialogue",
        "theme",
        "agency",
        "country",
        "status",
        "reason",
        "role",
        "due",
        "stale",
        "blocked",
        "sort",
        "as_of",
        "page",
        "page_size",
    }


@pytest.mark.parametrize(
    "path, field",
    [
        ("/api/v1/commitments/?as_of=", "as_of"),
        ("/api/v1/commitments/?page=", "page"),
        ("/api/v1/themes/?page_size=", "page_size"),
        ("/api/v1/changes/?from=", "from"),
        ("/api/v1/updates/?since=", "since"),
    ],
)
def test_an_empty_date_or_number_is_a_400_not_the_default(viewer_client, world, path, field):
    body = problem_of(viewer_client.get(path), 400)
    assert body["errors"] == [{"field": field, "message": "Give a value, or leave the parameter out."}]


def test_the_changes_window_is_named_from_and_to_as_its_schema_says(viewer_client, world):
    body = viewer_client.get("/api/v1/changes/?from=2023-01-01&to=2024-01-01").json()
    assert body["window"] == {"from": "2023-01-01", "to": "2024-01-01"}
