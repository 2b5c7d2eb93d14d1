"""Small builders for test data."""

from tracker.models import Agency, Commitment, Dialogue, Participation, Role, SourceDocument, Theme
from tracker.rules import SLIP_STATUSES, SlipReason


def reason_for(status) -> dict:
    """The reason for slippage an update in `status` must carry (none for the others), for tests whose
    subject is not the reason rule itself."""
    return {"reason": SlipReason.TECHNICAL} if status in SLIP_STATUSES else {}


def make_dialogue(**fields):
    """A dialogue between the U.S. and France; any field can be given."""
    number = Dialogue.objects.count() + 1
    values = {"name": f"Dialogue {number}", "parties": "US,FR", "announced_on": "2024-01-01"}
    return Dialogue.objects.create(**{**values, **fields})


def make_source(**fields):
    """A source document whose text holds "will map the seabed" (the quote make_commitment uses)."""
    number = SourceDocument.objects.count() + 1
    values = {
        "title": f"Joint statement {number}",
        "published_on": "2024-01-01",
        "text": "The parties will map the seabed together. Les parties cartographieront les fonds marins.",
    }
    return SourceDocument.objects.create(**{**values, **fields})


def make_theme(dialogue, **fields):
    number = Theme.objects.count() + 1
    return Theme.objects.create(**{"dialogue": dialogue, "name": f"Objective {number}", **fields})


def make_agency(**fields):
    number = Agency.objects.count() + 1
    return Agency.objects.create(**{"name": f"Agency {number}", "country": "US", **fields})


def make_commitment(dialogue=None, *, themes=(), agencies=(), **fields):
    """A commitment quoting its source word for word; `agencies` lead it."""
    dialogue = dialogue or make_dialogue()
    if "source" not in fields:
        fields["source"] = make_source()
    values = {
        "title": "Map the seabed",
        "quote": "will map the seabed",
        "announced_on": dialogue.announced_on,
    }
    commitment = Commitment.objects.create(dialogue=dialogue, **{**values, **fields})
    commitment.themes.set(themes)
    for agency in agencies:
        Participation.objects.create(commitment=commitment, agency=agency, role=Role.LEAD)
    return commitment
