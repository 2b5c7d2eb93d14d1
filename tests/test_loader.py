import copy
import json
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from tracker.loader import DEFAULT_DIALOGUE_FILE, read_dialogue_file
from tracker.models import Agency, Commitment, Dialogue, Participation, SourceDocument, Theme

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
    "quote": (broken(lambda d: d["commitments"][2].update(quote="we will go to Mars")), "quote not found"),
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
