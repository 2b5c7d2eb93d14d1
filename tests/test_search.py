"""Text search (`q`, tracker/search.py): words in any order, prefixes, accents and case folded,
ranked by relevance when asked; the same answers on SQLite and PostgreSQL (CI runs this file on
both)."""

import pytest

from tests.factories import make_agency, make_commitment, make_dialogue, make_theme
from tracker import search
from tracker.models import Commitment, Dialogue

CORPUS = {
    "climate": dict(title="Exchange Earth observation satellite data", description="Climate monitoring."),
    "economy": dict(title="Économie spatiale durable", description="A sustainable space economy."),
    "stem": dict(title="STEM education exchanges", description="Students and teachers on both sides."),
    "norms": dict(title="Norms for outer space", description="Consultations on the security of space."),
    "risks": dict(title="Joint analysis of climate change risks", description="Satellite data, shared."),
}


@pytest.fixture
def corpus(db):
    dialogue = make_dialogue()
    return {key: make_commitment(dialogue, **fields) for key, fields in CORPUS.items()}


def found(query):
    return {commitment.title for commitment in search.commitments_matching(Commitment.objects.all(), query)}


def titles(corpus, *keys):
    return {corpus[key].title for key in keys}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("satellite data", ("climate", "risks")),
        ("data satellite", ("climate", "risks")),  # any order
        ("satel", ("climate", "risks")),  # a prefix
        ("economie", ("economy",)),  # accents folded in the text
        ("ÉCONOMIE spatiale", ("economy",)),  # and in the query, with case
        ("space", ("economy", "norms")),  # description and title alike
        ("climate risks", ("risks",)),  # every word must be there
        ("students", ("stem",)),
        ("nothing like it", ()),
    ],
)
def test_words_in_any_order_prefixes_and_accents(corpus, query, expected):
    assert found(query) == titles(corpus, *expected)


def test_a_search_with_no_word_in_it_finds_nothing(corpus):
    assert found("?!– …") == set()


def test_a_french_title_is_searched_too(corpus):
    corpus["stem"].title_fr = "Enseignement des sciences"
    corpus["stem"].save()
    assert found("enseignement") == titles(corpus, "stem")


def test_an_edited_title_is_found_at_once_and_the_old_one_no_more(corpus):
    corpus["norms"].title = "Rules for debris removal"
    corpus["norms"].save()
    assert found("debris") == {"Rules for debris removal"}
    assert found("norms") == set()


def test_a_status_update_keeps_the_commitment_findable(corpus, editor):
    from tracker.services import status_update_create

    status_update_create(
        commitment=corpus["stem"], author=editor, status="on_track", progress=20, text="Begun."
    )
    assert found("stem education") == titles(corpus, "stem")


def test_a_deleted_commitment_is_not_found(corpus):
    corpus["stem"].delete()
    assert found("students") == set()


def test_the_list_ranks_by_relevance_when_asked(viewer_client, db):
    dialogue = make_dialogue()
    once = make_commitment(
        dialogue, title="Survey the coasts, the ocean floor and the harbours of both countries"
    )
    often = make_commitment(dialogue, title="Ocean mapping", description="Ocean data from ocean buoys.")
    make_commitment(dialogue, title="Something else entirely")

    def listed(**query):
        response = viewer_client.get("/commitments/", {"q": "ocean", **query})
        return [row.pk for row in response.context["browser"].page.object_list]

    assert listed() == [once.pk, often.pk]  # the default order: as announced
    assert listed(sort="relevance") == [often.pk, once.pk]


def test_relevance_without_a_search_is_the_default_order(viewer_client, corpus):
    response = viewer_client.get("/commitments/", {"sort": "relevance"})
    assert response.status_code == 200
    assert len(response.context["browser"].page.object_list) == len(CORPUS)


def test_the_list_page_searches_with_the_same_function(viewer_client, corpus):
    response = viewer_client.get("/commitments/", {"q": "Économie"})
    assert corpus["economy"].title in response.content.decode()
    assert corpus["stem"].title not in response.content.decode()


def test_the_facets_of_a_search_count_only_its_matches(viewer_client, db):
    dialogue = make_dialogue()
    oceans, space = make_theme(dialogue, name="Oceans"), make_theme(dialogue, name="Space")
    nasa, cnes = make_agency(name="NASA", country="US"), make_agency(name="CNES", country="FR")
    make_commitment(dialogue, title="Ocean mapping", themes=[oceans], agencies=[nasa, cnes])
    make_commitment(dialogue, title="Ocean buoys", themes=[oceans, space], agencies=[nasa])
    make_commitment(dialogue, title="Lunar landing", themes=[space], agencies=[nasa, cnes])

    def counts(name, query):
        facets = viewer_client.get("/commitments/", query).context["browser"].facets
        options = next(facet for facet in facets if facet.name == name).options
        return {option.label.split(" · ")[0]: option.count for option in options}  # the agency's name

    assert counts("theme", {"q": "ocean"}) == {"Oceans": 2, "Space": 1}
    assert counts("agency", {"q": "ocean"}) == {"NASA": 2, "CNES": 1}
    assert counts("country", {"q": "ocean"}) == {"France": 1, "United States": 2}
    # With another filter, each facet counts what the search and that filter match together.
    assert counts("theme", {"q": "ocean", "agency": cnes.slug}) == {"Oceans": 1, "Space": 0}


def test_the_status_and_reason_facets_of_a_search_count_only_its_matches(viewer_client, db):
    dialogue = make_dialogue()
    make_commitment(dialogue, title="Ocean mapping", status="at_risk", slip_reason="funding")
    make_commitment(dialogue, title="Ocean buoys", status="at_risk", slip_reason="technical")
    make_commitment(dialogue, title="Ocean survey", status="on_track")
    make_commitment(dialogue, title="Lunar landing", status="at_risk", slip_reason="funding")

    def counts(name, query):
        facets = viewer_client.get("/commitments/", query).context["browser"].facets
        options = next(facet for facet in facets if facet.name == name).options
        return {option.value: option.count for option in options if option.count}

    assert counts("status", {"q": "ocean"}) == {"at_risk": 2, "on_track": 1}
    assert counts("reason", {"q": "ocean"}) == {"funding": 1, "technical": 1}
    # A status chosen narrows the reasons, not the statuses (each facet counts with the *other* filters).
    assert counts("reason", {"q": "ocean", "status": "on_track"}) == {}
    assert counts("status", {"q": "ocean", "status": "on_track"}) == {"at_risk": 2, "on_track": 1}
    assert counts("status", {"q": "ocean", "reason": "funding"}) == {"at_risk": 1}


def test_a_search_narrows_a_query_it_is_a_subquery_of(corpus):
    # As a subquery its table is renamed; the condition must follow it (PostgreSQL tests its own row).
    def dialogues_with(query):
        matches = search.commitments_matching(Commitment.objects.all(), query).values("dialogue_id")
        return set(Dialogue.objects.filter(pk__in=matches))

    assert dialogues_with("satellite") == {corpus["climate"].dialogue}
    assert dialogues_with("nothing like it") == set()
    matches = search.commitments_matching(Commitment.objects.all(), "satellite").values("pk")
    assert {c.title for c in Commitment.objects.filter(pk__in=matches)} == titles(corpus, "climate", "risks")
