import copy
import json
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command

from tracker import rules
from tracker.loader import DEFAULT_DIALOGUE_FILE, read_dialogue_file
from tracker.models import (
    Agency,
    Assessment,
    Commitment,
    Dialogue,
    Participation,
    Round,
    SourceDocument,
    StatusUpdate,
    Theme,
)

SEED = read_dialogue_file(DEFAULT_DIALOGUE_FILE)
# The report as it reached the team, kept beside the repository (see README).
ORIGINAL_SOURCE = Path(settings.BASE_DIR).parent / "shared" / "seeds" / "000_55bff1916b2d203b.txt"


def table_sizes():
    return [
        m.objects.count() for m in (Dialogue, SourceDocument, Theme, Agency, Commitment, Participation)
    ] + [m.history.count() for m in (Dialogue, SourceDocument, Theme, Agency, Commitment, Participation)]


def write(tmp_path, data, name="dialogue.json"):
    path = tmp_path / name
    path.write_text(json.dumps(data) if not isinstance(data, str) else data, encoding="utf-8")
    return str(path)


def test_the_default_dialogue_loads_every_announced_commitment(seed):
    assert seed.party_codes == ["US", "FR"]
    assert str(seed.announced_on) == "2021-11-10"
    assert Commitment.objects.filter(dialogue=seed).count() == 9
    assert Theme.objects.count() == 6
    assert Agency.objects.filter(country="US", named_in_source=True).count() == 9
    assert Agency.objects.filter(country="FR", named_in_source=True).count() == 0
    assert Agency.objects.filter(country="FR").count() >= 7
    eo = Commitment.objects.get(slug="earth-observation-data-exchange")
    assert eo.parent.slug == "initial-emphasis-climate"
    assert eo.quote == "enhancing the exchange of Earth observation satellite data"


def test_every_seed_quote_is_in_the_source_text_and_the_original_report(seed):
    if not ORIGINAL_SOURCE.exists():
        pytest.skip(f"{ORIGINAL_SOURCE} is not beside this checkout")
    source = SourceDocument.objects.get()
    with open(ORIGINAL_SOURCE, encoding="utf-8") as handle:
        original = handle.read()
    assert source.text in original
    for commitment in Commitment.objects.all():
        assert commitment.quote in source.text
        assert commitment.source == source


def test_every_seed_commitment_has_a_lead_on_each_side(seed):
    for commitment in Commitment.objects.all():
        leads = set(commitment.participations.filter(role="lead").values_list("agency__country", flat=True))
        assert leads == {"US", "FR"}, commitment.slug


def test_loading_twice_changes_nothing(seed):
    before = table_sizes()
    call_command("load_dialogue")
    assert table_sizes() == before


def test_loading_again_after_an_edit_updates_only_what_changed(seed, tmp_path):
    data = copy.deepcopy(SEED)
    data["commitments"][0]["title"] = "Hold the regular dialogue"
    histories = Commitment.history.count()
    call_command("load_dialogue", write(tmp_path, data))
    assert Commitment.objects.get(slug="regular-bilateral-dialogue").title == "Hold the regular dialogue"
    assert Commitment.history.count() == histories + 1


def broken(change):
    data = copy.deepcopy(SEED)
    change(data)
    return data


BAD_FILES = {
    "quote": (
        broken(lambda d: d["commitments"][2].update(quote="we will go to Mars")),
        "is not in the source text word for word",
    ),
    "agency": (
        broken(lambda d: d["commitments"][1]["agencies"].append({"agency": "esa", "role": "lead"})),
        "unknown agency 'esa'",
    ),
    "theme": (broken(lambda d: d["commitments"][1]["themes"].append("tourism")), "unknown theme 'tourism'"),
    "role": (broken(lambda d: d["commitments"][1]["agencies"][0].update(role="boss")), "role of"),
    "missing": (broken(lambda d: d["commitments"][3].pop("title")), "missing 'title'"),
    "date": (broken(lambda d: d["dialogue"].update(announced_on="10/11/2021")), "YYYY-MM-DD"),
    "country": (broken(lambda d: d["agencies"][0].update(country="usa")), "country"),
    "duplicate": (broken(lambda d: d["themes"].append(dict(d["themes"][0]))), "appears twice"),
    "parent": (broken(lambda d: d["commitments"][4].update(parent="nowhere")), "unknown parent commitment"),
    "json": ('{"dialogue": ', "not valid JSON"),
    "shape": ("[1, 2]", "top level must be a JSON object"),
}


@pytest.mark.parametrize("kind", BAD_FILES)
def test_a_bad_file_is_refused_with_its_reason_and_writes_nothing(db, tmp_path, kind):
    data, message = BAD_FILES[kind]
    before = table_sizes()
    with pytest.raises(CommandError) as refused:
        call_command("load_dialogue", write(tmp_path, data))
    assert message in str(refused.value)
    assert "Nothing was loaded" in str(refused.value)
    assert table_sizes() == before


def test_a_bad_file_leaves_an_already_loaded_dialogue_untouched(seed, tmp_path):
    before = table_sizes()
    with pytest.raises(CommandError):
        call_command("load_dialogue", write(tmp_path, BAD_FILES["quote"][0]))
    assert table_sizes() == before


def test_a_missing_file_is_named(db):
    with pytest.raises(CommandError, match="no such file"):
        call_command("load_dialogue", "/nowhere/dialogue.json")


# --- rounds, assessments, updates and dependencies ------------------------------------------------

STATEMENT = "We will map the seabed. We will share buoy data. We will train ocean observers."


def ocean_dialogue():
    """A small dialogue file with every optional part: two rounds, dependencies, updates and
    assessments (one of them "no evidence")."""
    lead = [{"agency": "ocean-us", "role": "lead"}, {"agency": "ocean-fr", "role": "lead"}]
    return {
        "dialogue": {
            "slug": "ocean-dialogue",
            "name": "Ocean dialogue",
            "parties": ["US", "FR"],
            "announced_on": "2023-03-01",
        },
        "source": {"title": "Joint statement on the ocean", "published_on": "2023-03-01", "text": STATEMENT},
        "themes": [
            {"slug": "ocean-science", "name": "Ocean science"},
            {"slug": "ocean-governance", "name": "Running the dialogue", "kind": "governance"},
        ],
        "agencies": [
            {"slug": "ocean-us", "name": "US ocean office", "country": "US", "named_in_source": False},
            {"slug": "ocean-fr", "name": "FR ocean office", "country": "FR", "named_in_source": False},
        ],
        "rounds": [
            {
                "number": 1,
                "held_on": "2023-09-01",
                "place": "Brest",
                "title": "First round",
                "outcome": {"title": "Joint statement on the ocean", "published_on": "2023-03-01"},
            },
            {
                "number": 2,
                "held_on": "2024-03-05",
                "place": "Washington",
                "outcome": {
                    "title": "Second joint statement",
                    "published_on": "2024-03-05",
                    "text": "The parties reviewed the seabed map.",
                },
            },
        ],
        "commitments": [
            {
                "slug": "map-seabed",
                "title": "Map the seabed",
                "themes": ["ocean-science"],
                "agencies": lead,
                "quote": "map the seabed",
            },
            {
                "slug": "share-buoy-data",
                "title": "Share buoy data",
                "themes": ["ocean-science"],
                "agencies": lead,
                "quote": "share buoy data",
                "blocked_by": ["map-seabed"],
            },
            {
                "slug": "train-observers",
                "title": "Train ocean observers",
                "themes": ["ocean-governance"],
                "agencies": lead,
                "quote": "train ocean observers",
                "made_in_round": 1,
                "announced_on": "2023-09-01",
                "blocked_by": ["share-buoy-data"],
            },
        ],
        "updates": [
            {
                "commitment": "map-seabed",
                "reported_on": "2023-08-20",
                "status": "on_track",
                "progress": 40,
                "text": "Survey ships chartered.",
            },
            {
                "commitment": "map-seabed",
                "reported_on": "2024-02-01",
                "status": "at_risk",
                "progress": 45,
                "text": "One ship withdrawn.",
                "reason": "funding",
                "evidence_url": "https://example.org/ships",
            },
        ],
        "assessments": [
            {
                "commitment": "map-seabed",
                "party": "US",
                "round": 1,
                "score": 1,
                "rationale": "Survey under way.",
                "evidence": ["https://example.org/survey"],
                "assessed_on": "2023-09-01",
            },
            {
                "commitment": "map-seabed",
                "party": "FR",
                "round": 1,
                "score": "no_evidence",
                "rationale": "Nothing published yet.",
                "assessed_on": "2023-09-01",
            },
            {
                "commitment": "map-seabed",
                "party": "FR",
                "round": 2,
                "score": -1,
                "rationale": "The French ship was withdrawn.",
                "assessed_on": "2024-03-05",
            },
        ],
    }


def all_sizes():
    models = (Round, Assessment, StatusUpdate)
    through = Commitment.blocked_by.through
    return (
        table_sizes()
        + [m.objects.count() for m in models]
        + [m.history.count() for m in models]
        + [through.objects.count()]
    )


@pytest.fixture
def loader_user(db):
    return User.objects.create_user(username="analyst")


def load(tmp_path, data, author="analyst"):
    options = {"author": author} if author else {}
    call_command("load_dialogue", write(tmp_path, data), **options)


def test_rounds_updates_assessments_and_dependencies_load(loader_user, tmp_path):
    load(tmp_path, ocean_dialogue())
    dialogue = Dialogue.objects.get(slug="ocean-dialogue")
    first, second = dialogue.rounds.order_by("number")
    assert (first.place, first.outcome.title) == ("Brest", "Joint statement on the ocean")
    assert second.outcome.text == "The parties reviewed the seabed map."
    seabed = dialogue.commitments.get(slug="map-seabed")
    assert (seabed.status, seabed.progress, seabed.slip_reason) == ("at_risk", 45, "funding")
    assert [c.slug for c in dialogue.commitments.get(slug="share-buoy-data").blocked_by.all()] == [
        "map-seabed"
    ]
    scores = {(a.party, a.round.number): a.score for a in seabed.assessments.all()}
    assert scores == {("US", 1): 1, ("FR", 1): None, ("FR", 2): -1}
    assert seabed.assessments.get(party="US").evidence_links == ["https://example.org/survey"]


def test_a_commitment_may_quote_another_document_of_the_file(loader_user, tmp_path):
    data = ocean_dialogue()
    data["commitments"].append(
        {
            "slug": "review-map",
            "title": "Review the seabed map",
            "themes": ["ocean-science"],
            "agencies": data["commitments"][0]["agencies"],
            "quote": "reviewed the seabed map",
            "made_in_round": 2,
            # Round 2's outcome, given in full in the rounds: named here by title and date.
            "source": {"title": "Second joint statement", "published_on": "2024-03-05"},
        }
    )
    load(tmp_path, data)
    review = Commitment.objects.get(slug="review-map")
    assert review.source == Round.objects.get(number=2).outcome
    assert Commitment.objects.get(slug="map-seabed").source.title == "Joint statement on the ocean"
    before = all_sizes()
    load(tmp_path, data)
    assert all_sizes() == before


def test_made_in_round_is_a_round_of_the_commitments_own_dialogue(loader_user, tmp_path):
    load(tmp_path, ocean_dialogue())
    observers = Commitment.objects.get(slug="train-observers")
    assert observers.made_in_round.number == 1
    assert observers.made_in_round.dialogue == observers.dialogue
    assert Commitment.objects.get(slug="map-seabed").made_in_round is None


def test_loading_rounds_and_assessments_twice_adds_nothing(loader_user, tmp_path):
    load(tmp_path, ocean_dialogue())
    before = all_sizes()
    load(tmp_path, ocean_dialogue())
    assert all_sizes() == before


def test_a_corrected_assessment_in_the_file_is_added_beside_the_first(loader_user, tmp_path):
    load(tmp_path, ocean_dialogue())
    data = ocean_dialogue()
    data["assessments"].append(
        {
            "commitment": "map-seabed",
            "party": "FR",
            "round": 1,
            "score": 0,
            "rationale": "A survey plan was published after all.",
            "assessed_on": "2023-09-02",
        }
    )
    load(tmp_path, data)
    assert Assessment.objects.filter(party="FR", round__number=1).count() == 2


def test_the_author_is_the_history_user_of_the_loaders_writes(loader_user, tmp_path):
    load(tmp_path, ocean_dialogue())
    for model in (Dialogue, Round, Commitment, StatusUpdate, Assessment):
        users = set(model.history.values_list("history_user__username", flat=True))
        assert users == {"analyst"}, model
    assert set(StatusUpdate.objects.values_list("author__username", flat=True)) == {"analyst"}
    assert set(Assessment.objects.values_list("assessor__username", flat=True)) == {"analyst"}


def test_records_naming_their_own_author_need_no_author_option(db, tmp_path):
    User.objects.create_user(username="us-desk")
    data = ocean_dialogue()
    for record in data["updates"]:
        record["author"] = "us-desk"
    for record in data["assessments"]:
        record["assessor"] = "us-desk"
    load(tmp_path, data, author=None)
    assert set(StatusUpdate.history.values_list("history_user__username", flat=True)) == {"us-desk"}
    assert set(Assessment.history.values_list("history_user__username", flat=True)) == {"us-desk"}


def test_an_unknown_author_is_refused_by_name(db, tmp_path):
    with pytest.raises(CommandError, match="--author nobody: no user of the tracker has that username"):
        load(tmp_path, ocean_dialogue(), author="nobody")
    assert Dialogue.objects.count() == 0


def ocean_broken(change):
    data = ocean_dialogue()
    change(data)
    return data


def _set(section, index, **values):
    return lambda d: d[section][index].update(values)


BAD_OCEAN_FILES = {
    "party": (
        _set("assessments", 0, party="DE"),
        "assessments[0] (map-seabed): party 'DE' is not one of the dialogue's parties (US, FR)",
    ),
    "round": (
        _set("assessments", 1, round=5),
        "assessments[1] (map-seabed): round 5 is not one of the dialogue's rounds (1, 2)",
    ),
    "score": (_set("assessments", 0, score=2), "assessments[0] (map-seabed): 'score' must be 1, 0 or -1"),
    "score word": (_set("assessments", 0, score="full"), "'score' must be 1, 0 or -1"),
    "no rationale": (
        lambda d: d["assessments"][2].pop("rationale"),
        "assessments[2] (map-seabed): missing 'rationale'",
    ),
    "blank rationale": (_set("assessments", 2, rationale="  "), "'rationale' must not be empty"),
    "evidence": (_set("assessments", 0, evidence=["not a link"]), "'not a link' is not a web address"),
    "assessed later": (_set("assessments", 0, assessed_on="2999-01-01"), "cannot be in the future"),
    "unknown commitment": (_set("assessments", 0, commitment="swim"), "unknown commitment 'swim'"),
    "round number": (_set("rounds", 1, number=1), "round 1 appears twice"),
    "round date": (_set("rounds", 0, held_on="soon"), "rounds[0] (round 1): 'held_on' must be a date"),
    "outcome": (
        _set("rounds", 0, outcome={"title": "Lost memo", "published_on": "2023-01-01"}),
        "outcome 'Lost memo' (2023-01-01) is neither this file's source nor a document already loaded",
    ),
    "made in round": (
        _set("commitments", 2, made_in_round=9),
        "made_in_round 9 is not one of the dialogue's rounds",
    ),
    "blocker": (
        _set("commitments", 0, blocked_by=["nowhere"]),
        "blocked_by names an unknown commitment 'nowhere'",
    ),
    "self blocked": (
        _set("commitments", 0, blocked_by=["map-seabed"]),
        "commitments[0] (map-seabed): blocked_by would make a commitment wait on itself: map-seabed → map-seabed",
    ),
    "three-long cycle": (
        _set("commitments", 0, blocked_by=["train-observers"]),
        "wait on itself: map-seabed → train-observers → share-buoy-data → map-seabed",
    ),
    "commitment source": (
        _set("commitments", 0, source={"title": "Lost memo", "published_on": "2023-01-01"}),
        "commitments[0] (map-seabed): source 'Lost memo' (2023-01-01) is neither this file's source nor a "
        "document already loaded",
    ),
    "quote not in its named source": (
        _set("commitments", 0, source={"title": "Second joint statement", "published_on": "2024-03-05"}),
        "commitments[0] (map-seabed): quote: This quote is not in the source text word for word",
    ),
    "document given twice": (
        _set(
            "commitments",
            0,
            source={"title": "Second joint statement", "published_on": "2024-03-05", "text": "Other words."},
        ),
        "'Second joint statement' (2024-03-05) is given again with a different text",
    ),
    "status": (_set("updates", 0, status="sunk"), "'status' must be one of"),
    "progress": (_set("updates", 0, progress=140), "'progress' must be a whole number from 0 to 100"),
    "no reason": (
        lambda d: d["updates"][1].pop("reason"),
        "updates[1] (map-seabed): " + str(rules.REASON_NEEDED),
    ),
    "other without note": (_set("updates", 1, reason="other"), str(rules.REASON_NOTE_NEEDED)),
    "unknown reason": (_set("updates", 1, reason="weather"), "'reason' must be one of"),
    "reported later": (_set("updates", 0, reported_on="2999-01-01"), "cannot be in the future"),
    "unknown assessor": (
        _set("assessments", 0, assessor="ghost"),
        "'assessor' names no user of the tracker: 'ghost'",
    ),
}


@pytest.mark.parametrize("kind", BAD_OCEAN_FILES)
def test_a_bad_round_update_or_assessment_is_named_and_nothing_is_written(loader_user, tmp_path, kind):
    change, message = BAD_OCEAN_FILES[kind]
    before = all_sizes()
    with pytest.raises(CommandError) as refused:
        load(tmp_path, ocean_broken(change))
    assert message in str(refused.value)
    assert "Nothing was loaded" in str(refused.value)
    assert all_sizes() == before


def test_the_reason_rule_gives_the_pages_message_on_the_loader_path(loader_user, tmp_path):
    with pytest.raises(CommandError) as refused:
        load(tmp_path, ocean_broken(lambda d: d["updates"][1].pop("reason")))
    page_message = rules.slip_reason_problems("at_risk", "", "")["reason"]
    assert str(page_message) in str(refused.value)


def test_updates_or_assessments_without_an_author_need_the_author_option(db, tmp_path):
    with pytest.raises(CommandError, match=r"updates\[0\] \(map-seabed\): no author.*--author USERNAME"):
        load(tmp_path, ocean_broken(lambda d: d.pop("assessments")), author=None)
    assert Dialogue.objects.count() == 0


def test_a_cycle_with_dependencies_already_loaded_is_refused(loader_user, tmp_path):
    load(tmp_path, ocean_dialogue())
    before = all_sizes()
    # train-observers is blocked by share-buoy-data, itself blocked by map-seabed (loaded before);
    # a later file that leaves those alone cannot make map-seabed wait on train-observers.
    data = ocean_dialogue()
    for record in data["commitments"]:
        record.pop("blocked_by", None)
    data["commitments"][0]["blocked_by"] = ["train-observers"]
    with pytest.raises(CommandError, match="map-seabed → train-observers → share-buoy-data → map-seabed"):
        load(tmp_path, data)
    assert all_sizes() == before


def test_a_file_may_turn_a_dependency_round(loader_user, tmp_path):
    load(tmp_path, ocean_dialogue())
    data = ocean_dialogue()
    data["commitments"][0]["blocked_by"] = ["share-buoy-data"]
    data["commitments"][1]["blocked_by"] = []
    data["commitments"][2]["blocked_by"] = []
    load(tmp_path, data)
    seabed = Commitment.objects.get(slug="map-seabed")
    assert [c.slug for c in seabed.blocked_by.all()] == ["share-buoy-data"]
    assert not Commitment.objects.get(slug="share-buoy-data").blocked_by.exists()


def test_a_file_without_blocked_by_leaves_dependencies_alone(loader_user, tmp_path):
    load(tmp_path, ocean_dialogue())
    data = ocean_dialogue()
    for record in data["commitments"]:
        record.pop("blocked_by", None)
    load(tmp_path, data)
    assert Commitment.objects.get(slug="share-buoy-data").blocked_by.count() == 1


def test_a_commitment_may_not_name_a_theme_of_another_dialogue(loader_user, seed, tmp_path):
    before = all_sizes()
    data = ocean_broken(lambda d: d["commitments"][0]["themes"].append("stem-education"))
    with pytest.raises(CommandError) as refused:
        load(tmp_path, data)
    assert (
        "commitments[0] (map-seabed): the theme 'stem-education' is an objective of another dialogue"
        in str(refused.value)
    )
    assert all_sizes() == before


def test_the_default_dialogue_has_no_rounds_or_assessments(seed):
    assert not Round.objects.exists()
    assert not Assessment.objects.exists()
    assert not StatusUpdate.objects.exists()
