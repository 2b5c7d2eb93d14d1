"""The API's commitment list writes its items from plain values (tracker/api/items.py), not through
CommitmentSerializer, which stays the statement of what an item is (the schema is read from it).
Here every item the API answers is held, byte for byte, to what the serializer writes for the same
commitments: across dialogues, themes, agencies and roles, parents, blockers, withdrawn updates,
French content, every sort, pages, a past day and both languages."""

import datetime

import pytest
from django.conf import settings
from django.core.paginator import Paginator
from django.http import QueryDict
from django.test import RequestFactory
from django.utils import translation
from rest_framework.renderers import JSONRenderer

from tests.factories import make_agency, make_commitment, make_dialogue, make_source, make_theme, reason_for
from tracker import services
from tracker.api.serializers import CommitmentSerializer
from tracker.filters import SORTS
from tracker.models import Commitment, Participation, Role, Status
from tracker.selectors.commitment_list import CommitmentBrowser
from tracker.views import commitment_link_maker

pytestmark = pytest.mark.django_db

D = datetime.date
PAST = D(2024, 3, 1)


@pytest.fixture
def varied(seed, editor):
    """The default dialogue (French names and titles) and a second one of a dozen commitments: several
    themes and agencies in two countries, leads and partners, one with a French title, a parent and
    its children, a blocked one, overdue and stale ones, one without a source, and updates withdrawn."""
    second = make_dialogue(name="Second dialogue", name_fr="Deuxième dialogue", announced_on="2023-06-01")
    themes = [
        make_theme(second, name="Zeta", order=1),
        make_theme(second, name="alpha", order=1, name_fr="Alpha"),
        make_theme(second, name="Beta", order=0),
    ]
    agencies = [
        make_agency(name="Agence de test", acronym="ADT", country="FR", slug="adt"),
        make_agency(name="testing administration", acronym="", country="US", slug="ta"),
        make_agency(name="Office of Tests", country="US", name_fr="Bureau des essais", slug="ot"),
    ]
    source = make_source(language="fr")
    made = []
    for i in range(12):
        commitment = make_commitment(
            second,
            themes=themes[: i % 4],
            agencies=agencies[i % 2 : i % 2 + 1],
            title=f"Commitment {i:02}",
            title_fr=f"Engagement {i:02}" if i % 3 == 0 else "",
            announced_on=D(2023, 7, 1) + datetime.timedelta(days=30 * i),
            due_on=D(2024, 1, 1) + datetime.timedelta(days=90 * i) if i % 2 else None,
            source=None if i == 5 else source,
            quote="" if i == 5 else "will map the seabed",
        )
        partners = [agency for agency in agencies if agency != agencies[i % 2]][: i % 3]
        for agency in partners:
            Participation.objects.create(commitment=commitment, agency=agency, role=Role.PARTNER)
        made.append(commitment)
    Commitment.objects.filter(pk__in=[c.pk for c in made[1:4]]).update(parent=made[0])
    for commitment, status, progress, day in [
        (made[0], Status.ON_TRACK, 30, D(2024, 2, 1)),
        (made[1], Status.OFF_TRACK, 10, D(2024, 2, 15)),
        (made[2], Status.COMPLETED, 100, D(2024, 4, 1)),
        (made[3], Status.AT_RISK, 40, D(2024, 5, 1)),
    ]:
        services.status_update_create(
            commitment=commitment,
            author=editor,
            status=status,
            progress=progress,
            text="News.",
            reported_on=day,
            **reason_for(status),
        )
    # The latest update of two commitments withdrawn: each falls back on the one before, or on none.
    for commitment in (made[0], made[3]):
        update = services.status_update_create(
            commitment=commitment,
            author=editor,
            status=Status.OFF_TRACK,
            progress=5,
            text="Wrong.",
            reported_on=D(2024, 2, 20),
            **reason_for(Status.OFF_TRACK),
        )
        services.status_update_withdraw(update=update, by=editor, reason="Entered twice.")
    made[6].blocked_by.add(made[1])  # off track: it holds the other up
    made[7].blocked_by.add(made[2])  # completed: it does not
    return made


def serialized(query: str, language: str, day: datetime.date | None) -> bytes:
    """The page of items CommitmentSerializer writes for `query`, as the list read them before
    items.py: the browser's listing (model instances with their parts prefetched)."""
    request = RequestFactory().get(f"/api/v1/commitments/?{query}")
    params = QueryDict(query)
    browser = CommitmentBrowser(params, settings.TRACKER_PAGE_SIZE, day)
    with translation.override(language):
        page_size = int(params.get("page_size") or settings.TRACKER_PAGE_SIZE)
        listing = browser.listing().select_related("source")
        page = Paginator(listing, page_size).page(params.get("page") or 1)
        context = {"request": request, "link": commitment_link_maker(request, day)}
        return JSONRenderer().render(CommitmentSerializer(page.object_list, many=True, context=context).data)


QUERIES = [
    "",
    *(f"sort={sort}" for sort in SORTS if sort),
    "page_size=5&page=2",
    "page_size=5&page=3&sort=title",
    "status=off_track&status=on_track",
    "country=FR&role=partner",
    "q=Commitment&sort=relevance",
]


@pytest.mark.parametrize("language", ["en", "fr"])
@pytest.mark.parametrize("query", QUERIES)
def test_each_item_is_what_the_serializer_writes(viewer_client, varied, query, language):
    response = viewer_client.get(f"/api/v1/commitments/?{query}", headers={"accept-language": language})
    assert response.status_code == 200, response.content
    results = response.json()["results"]
    assert results, "a query that lists nothing compares nothing"
    assert JSONRenderer().render(results) == serialized(query, language, None)


@pytest.mark.parametrize("query", ["", "sort=-progress", "theme=beta", "page_size=3&page=2"])
def test_each_item_of_a_past_day_is_what_the_serializer_writes(viewer_client, varied, query):
    response = viewer_client.get(f"/api/v1/commitments/?as_of={PAST}&{query}")
    assert response.status_code == 200, response.content
    results = response.json()["results"]
    assert results
    assert JSONRenderer().render(results) == serialized(query, "en", PAST)


def test_the_varied_items_hold_what_they_are_meant_to(viewer_client, varied):
    """The comparison above is worth what the data varies: this checks it does."""
    items = viewer_client.get("/api/v1/commitments/?page_size=100").json()["results"]
    by_id = {item["id"]: item for item in items}
    assert by_id[varied[6].pk]["is_blocked"] and not by_id[varied[7].pk]["is_blocked"]
    assert by_id[varied[0].pk]["status"]["code"] == Status.ON_TRACK  # its latest update withdrawn
    assert by_id[varied[3].pk]["status"]["code"] == Status.AT_RISK
    assert by_id[varied[5].pk]["source"] is None
    assert [a["role"] for a in by_id[varied[1].pk]["agencies"]] == ["lead", "partner"]
    # Themes by order, then name (in the database's collation: "Zeta" and "alpha" either way round).
    assert [t["name"] for t in by_id[varied[3].pk]["themes"]][0] == "Beta"
    assert {t["name"] for t in by_id[varied[3].pk]["themes"]} == {"Beta", "Zeta", "alpha"}
    assert any(item["title_fr"] for item in items)
    assert any(item["is_overdue"] for item in items) and any(item["is_stale"] for item in items)
