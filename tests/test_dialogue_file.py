"""export_dialogue writes the file load_dialogue reads: out and back in, byte for byte."""

import datetime
import io
import json

import pytest
from django.apps import apps
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command

from tracker import services
from tracker.loader import DEFAULT_DIALOGUE_FILE, read_dialogue_file
from tracker.models import (
    Agency,
    Assessment,
    Commitment,
    Dialogue,
    Participation,
    Role,
    Round,
    SourceDocument,
    StatusUpdate,
    Theme,
    ThemeKind,
)

day = datetime.date.fromisoformat


def export(slug, *args):
    out, err = io.StringIO(), io.StringIO()
    call_command("export_dialogue", slug, *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def load(tmp_path, text, name="dialogue.json", **options):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    call_command("load_dialogue", str(path), stdout=io.StringIO(), **options)


def wipe():
    """Empty the tracker's tables (the users stay): what an empty database holds for a load."""
    Assessment.objects.all().delete()
    StatusUpdate.objects.all().delete()
    Commitment.blocked_by.through.objects.all().delete()
    Participation.objects.all().delete()
    Commitment.objects.update(parent=None, made_in_round=None)
    Commitment.objects.all().delete()
    Round.objects.all().delete()
    Theme.objects.all().delete()
    Dialogue.objects.all().delete()
    SourceDocument.objects.all().delete()
    Agency.objects.update(parent=None)
    Agency.objects.all().delete()


def row_counts():
    """Rows in every table of the tracker, history and link tables included."""
    models = apps.get_app_config("tracker").get_models(include_auto_created=True)
    return {model._meta.label: model._base_manager.count() for model in models}


# --- the seed dialogue ----------------------------------------------------------------------------


def test_the_seed_dialogue_comes_back_byte_for_byte(seed, tmp_path):
    first, _ = export("us-france-space-dialogue")
    wipe()
    assert not Commitment.objects.exists() and not Agency.objects.exists()
    load(tmp_path, first)
    again, _ = export("us-france-space-dialogue")
    assert again == first


def test_the_seed_export_holds_what_the_seed_file_says(seed):
    text, _ = export("us-france-space-dialogue")
    exported, original = json.loads(text), read_dialogue_file(DEFAULT_DIALOGUE_FILE)
    assert exported["dialogue"] == original["dialogue"]
    assert exported["source"] == original["source"]
    for section in ("themes", "agencies", "commitments"):
        by_slug = {record["slug"]: record for record in exported[section]}
        assert set(by_slug) == {record["slug"] for record in original[section]}
        for record in original[section]:
            for key, value in record.items():
                if key == "agencies":
                    assert sorted(by_slug[record["slug"]][key], key=str) == sorted(value, key=str)
                else:
                    assert by_slug[record["slug"]][key] == value, (section, record["slug"], key)
    assert (exported["rounds"], exported["updates"], exported["assessments"]) == ([], [], [])


def test_the_file_is_deterministic_json_with_its_own_characters(seed):
    text, _ = export("us-france-space-dialogue")
    assert text.endswith("}\n") and not text.endswith("\n\n")
    assert "U.S.–France" in text and "\\u2013" not in text
    assert text == json.dumps(json.loads(text), ensure_ascii=False, indent=2) + "\n"
    assert export("us-france-space-dialogue")[0] == text


def test_loading_the_seed_export_into_its_own_database_adds_nothing(seed, tmp_path):
    text, _ = export("us-france-space-dialogue")
    before = row_counts()
    load(tmp_path, text)
    assert row_counts() == before


# --- a dialogue with everything -------------------------------------------------------------------

STATEMENT = (
    'The parties will map the seabed and "share buoy data" <b>openly</b>. '
    "Ils formeront des observateurs — « l'océan » 🌊. They will run the dialogue yearly."
)
SECOND = "At the second round the parties agreed to publish a joint atlas of the seabed."
MARKUP = "<script>alert('x')</script> & \"quoted\" — l'État, « café » 🚀"


@pytest.fixture
def people(db):
    return {
        "us": User.objects.create_user(username="us-desk"),
        "fr": User.objects.create_user(username="fr-desk"),
        "root": User.objects.create_superuser(username="root-ocean"),
    }


def build_ocean_dialogue(people):
    """Every part a dialogue can hold: two documents, themes of both kinds, agencies with a parent,
    commitments made out of order (a parent created after its children), a round's commitment
    quoting that round's outcome, dependencies, a trail with slips, a same-day pair, a back-dated
    report and a withdrawal, and assessments (one "no evidence", one corrected)."""
    us, fr, root = people["us"], people["fr"], people["root"]
    dialogue = Dialogue.objects.create(
        slug="ocean",
        name="Océan — “dialogue” <b>",
        parties="US,FR",
        announced_on=day("2023-03-01"),
        description=MARKUP,
    )
    source = SourceDocument.objects.create(
        title="Joint statement on the ocean",
        publisher="Élysée & White House",
        published_on=day("2023-03-01"),
        url="https://example.org/statement",
        text=STATEMENT,
    )
    second = SourceDocument.objects.create(
        title="Second joint statement", published_on=day("2024-03-05"), text=SECOND
    )
    science = Theme.objects.create(dialogue=dialogue, slug="ocean-science", name="Science océanique", order=2)
    running = Theme.objects.create(
        dialogue=dialogue, slug="ocean-running", name="Running it", order=1, kind=ThemeKind.GOVERNANCE
    )
    commerce = Agency.objects.create(slug="us-commerce-ocean", name="Department of Commerce", country="US")
    noaa = Agency.objects.create(slug="noaa", name="NOAA", acronym="NOAA", country="US", parent=commerce)
    ifremer = Agency.objects.create(
        slug="ifremer", name="Ifremer", country="FR", named_in_source=False, description=MARKUP
    )
    Agency.objects.create(slug="unrelated-agency", name="Not in this dialogue", country="DE")
    first_round = Round.objects.create(
        dialogue=dialogue,
        number=1,
        held_on=day("2023-09-01"),
        place="Brest",
        title="Première",
        outcome=source,
    )
    second_round = Round.objects.create(
        dialogue=dialogue, number=2, held_on=day("2024-03-05"), place="Washington", outcome=second
    )
    Round.objects.create(dialogue=dialogue, number=3, held_on=day("2025-03-05"))

    def commitment(slug, quote, themes=(science,), document=source, **extra):
        made = Commitment.objects.create(
            dialogue=dialogue,
            slug=slug,
            title=f"{slug} — “{MARKUP}”",
            description=MARKUP,
            quote=quote,
            source=document,
            announced_on=extra.pop("announced_on", day("2023-03-01")),
            **extra,
        )
        made.themes.set(themes)
        Participation.objects.create(commitment=made, agency=noaa, role=Role.LEAD)
        Participation.objects.create(commitment=made, agency=ifremer, role=Role.PARTNER)
        return made

    seabed = commitment("map-seabed", "map the seabed", due_on=day("2025-01-01"))
    buoys = commitment("share-buoys", '"share buoy data" <b>openly</b>')
    observers = commitment("train-observers", "Ils formeront des observateurs — « l'océan » 🌊")
    atlas = commitment(
        "joint-atlas",
        "publish a joint atlas",
        document=second,
        made_in_round=second_round,
        announced_on=day("2024-03-05"),
    )
    programme = commitment("ocean-programme", "They will run the dialogue yearly", themes=(running, science))
    for child in (seabed, buoys, observers):
        child.parent = programme
        child.save()
    atlas.parent = seabed
    atlas.save()
    services.commitment_set_blockers(commitment=buoys, blockers=[seabed], by=root)
    services.commitment_set_blockers(commitment=atlas, blockers=[seabed, buoys], by=root)

    def post(commitment, author, reported_on, status, progress, text, **extra):
        return services.status_update_create(
            commitment=commitment,
            author=author,
            reported_on=day(reported_on),
            status=status,
            progress=progress,
            text=text,
            **extra,
        )

    post(seabed, us, "2023-08-20", "on_track", 40, MARKUP, evidence_url="https://example.org/ships?a=1&b=2")
    post(seabed, fr, "2024-02-01", "at_risk", 45, "One ship withdrawn.", reason="funding")
    post(seabed, us, "2024-02-01", "off_track", 30, "Both ships gone.", reason="other", reason_note=MARKUP)
    wrong = post(buoys, us, "2024-01-10", "on_track", 10, "Reported on the wrong commitment.")
    services.status_update_withdraw(update=wrong, by=root, reason="Wrong commitment.")
    post(observers, fr, "2024-05-01", "completed", 100, "Trained.")
    post(observers, fr, "2024-01-01", "on_track", 50, "Back-dated: half trained in January.")

    def assess(commitment, party, round_, score, rationale, assessor, **extra):
        return services.assessment_create(
            commitment=commitment,
            round=round_,
            party=party,
            score=score,
            rationale=rationale,
            assessor=assessor,
            **extra,
        )

    evidence = "https://example.org/survey\nhttps://example.org/survey?page=2"
    assess(seabed, "US", first_round, 1, MARKUP, us, evidence=evidence, assessed_on=day("2023-09-01"))
    assess(seabed, "FR", first_round, None, "Nothing published yet.", fr, assessed_on=day("2023-09-01"))
    assess(seabed, "FR", first_round, 0, "A survey plan was published.", fr, assessed_on=day("2023-09-02"))
    assess(atlas, "US", second_round, -1, "No atlas.", us, assessed_on=day("2024-03-06"))
    return dialogue


def state():
    """What the pages show, by natural key: each commitment's current state, the latest assessment
    counting for each party and round, and what every record says."""
    commitments = {
        c.slug: (c.status, c.progress, c.last_update_on, c.slip_reason, c.parent.slug if c.parent else None)
        for c in Commitment.objects.select_related("parent")
    }
    latest = {}
    for a in Assessment.objects.latest_first().select_related("commitment", "round"):
        latest.setdefault((a.commitment.slug, a.party, a.round.number), (a.score, a.rationale))
    return commitments, latest


def test_a_full_dialogue_comes_back_byte_for_byte(people, tmp_path):
    build_ocean_dialogue(people)
    first, _ = export("ocean")
    before = state()
    wipe()
    load(tmp_path, first)
    again, _ = export("ocean")
    assert again == first
    assert state() == before


def test_the_export_carries_every_part(people):
    build_ocean_dialogue(people)
    data = json.loads(export("ocean")[0])
    assert [t["slug"] for t in data["themes"]] == ["ocean-running", "ocean-science"]
    assert data["themes"][0]["kind"] == "governance"
    # The agencies taking part, with the parent a load needs; an agency of no commitment stays out.
    assert [a["slug"] for a in data["agencies"]] == ["ifremer", "us-commerce-ocean", "noaa"]
    assert data["agencies"][2]["parent"] == "us-commerce-ocean"
    # Parents before their sub-commitments, whatever order they were made in.
    assert [c["slug"] for c in data["commitments"]] == [
        "ocean-programme",
        "map-seabed",
        "joint-atlas",
        "share-buoys",
        "train-observers",
    ]
    atlas = data["commitments"][2]
    assert (atlas["made_in_round"], atlas["blocked_by"], atlas["parent"]) == (
        2,
        ["map-seabed", "share-buoys"],
        "map-seabed",
    )
    # The second statement is given in full once (as round 2's outcome), then named.
    assert data["rounds"][1]["outcome"]["text"] == SECOND
    assert atlas["source"] == {"title": "Second joint statement", "published_on": "2024-03-05"}
    assert data["rounds"][0]["outcome"] == {
        "title": "Joint statement on the ocean",
        "published_on": "2023-03-01",
    }
    assert data["rounds"][2]["outcome"] is None
    assert [a["score"] for a in data["assessments"]] == [1, "no_evidence", 0, -1]
    assert data["assessments"][0]["evidence"] == [
        "https://example.org/survey",
        "https://example.org/survey?page=2",
    ]
    slips = [u for u in data["updates"] if u["reason"]]
    assert [(u["reason"], u["author"]) for u in slips] == [("funding", "fr-desk"), ("other", "us-desk")]


def test_withdrawn_updates_are_left_out_and_said_so(people):
    build_ocean_dialogue(people)
    text, notes = export("ocean")
    assert "wrong commitment" not in text
    assert len(json.loads(text)["updates"]) == 5
    assert "1 withdrawn status update(s) left out" in notes


def test_loading_an_export_again_adds_nothing(people, tmp_path):
    build_ocean_dialogue(people)
    text, _ = export("ocean")
    before = row_counts()
    load(tmp_path, text)
    assert row_counts() == before
    wipe()
    load(tmp_path, text)
    after_first_load = row_counts()
    load(tmp_path, text)
    assert row_counts() == after_first_load


def test_updates_and_assessments_load_under_their_own_authors(people, tmp_path):
    build_ocean_dialogue(people)
    text, _ = export("ocean")
    wipe()
    load(tmp_path, text)
    assert set(StatusUpdate.objects.values_list("author__username", flat=True)) == {"us-desk", "fr-desk"}
    slip = StatusUpdate.objects.get(reason="other")
    assert (slip.author.username, slip.reason_note) == ("us-desk", MARKUP)
    history_users = StatusUpdate.history.filter(id=slip.pk).values_list("history_user__username", flat=True)
    assert list(history_users) == ["us-desk"]


def test_markup_quotes_and_unicode_survive_the_round_trip(people, tmp_path):
    build_ocean_dialogue(people)
    text, _ = export("ocean")
    assert MARKUP in json.loads(text)["dialogue"]["description"]
    assert "« l'océan » 🌊" in text
    wipe()
    load(tmp_path, text)
    dialogue = Dialogue.objects.get(slug="ocean")
    assert (dialogue.name, dialogue.description) == ("Océan — “dialogue” <b>", MARKUP)
    assert Commitment.objects.get(slug="share-buoys").quote == '"share buoy data" <b>openly</b>'
    assert Agency.objects.get(slug="ifremer").description == MARKUP
    assert StatusUpdate.objects.get(reported_on=day("2023-08-20")).text == MARKUP


# --- the command ----------------------------------------------------------------------------------


def test_export_to_a_path_writes_what_stdout_shows(seed, tmp_path):
    shown, _ = export("us-france-space-dialogue")
    path = tmp_path / "out.json"
    _, said = export("us-france-space-dialogue", str(path))
    assert path.read_text(encoding="utf-8") == shown
    assert f"Wrote {path}: 9 commitments" in said


def test_an_unknown_slug_is_refused_by_name(seed):
    with pytest.raises(CommandError, match="No dialogue has the slug 'mars'. The dialogues are: us-france"):
        export("mars")


def test_an_unwritable_path_is_refused_and_nothing_is_left(seed, tmp_path):
    with pytest.raises(CommandError, match=r"Nothing was written: cannot write to /nowhere/at/all\.json"):
        export("us-france-space-dialogue", "/nowhere/at/all.json")
    with pytest.raises(CommandError, match="cannot write to"):
        export("us-france-space-dialogue", str(tmp_path))
    assert list(tmp_path.iterdir()) == []


def test_a_commitment_without_a_quote_cannot_be_exported(seed):
    Commitment.objects.filter(slug="initial-emphasis-climate").update(quote="")
    with pytest.raises(CommandError, match="'initial-emphasis-climate' has no source document or no quote"):
        export("us-france-space-dialogue")
