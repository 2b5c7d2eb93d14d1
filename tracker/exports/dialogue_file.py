"""One dialogue as the data file `load_dialogue` reads (README, "Adding a dialogue").

`dialogue_file(dialogue=...)` gathers everything the dialogue holds — its documents, themes, the
agencies taking part, commitments with their participations and dependencies, rounds, assessments
and status updates — and `dialogue_file_text` writes it as JSON. The output is deterministic: keys
in a fixed order, lists sorted by what they hold rather than by database ids, so loading a file into
an empty database and exporting again gives the same bytes.

Lists whose order carries meaning keep it in a form a load reproduces: commitments parents first
(the loader's own order), updates by the date they report on and then as recorded, assessments as
recorded (the latest for a party and round counts).
"""

import json
from collections import Counter
from dataclasses import dataclass, field

from django.db.models import Prefetch

from ..models import (
    Assessment,
    Commitment,
    Dialogue,
    Participation,
    Round,
    SourceDocument,
    StatusUpdate,
    Theme,
)
from ..rules import NO_EVIDENCE

FORMAT_VERSION = 1


class DialogueExportError(Exception):
    """The dialogue holds something the file format cannot carry; the message says what to mend."""


@dataclass
class DialogueFile:
    """The file's data, and what was left out of it (for the person exporting, not for the file)."""

    data: dict
    notes: list[str] = field(default_factory=list)


def dialogue_file(*, dialogue: Dialogue) -> DialogueFile:
    """The data file for `dialogue`; raises DialogueExportError when it cannot be written faithfully."""
    notes: list[str] = []
    commitments = _commitments(dialogue)
    source = _main_source(dialogue, commitments)
    rounds = list(dialogue.rounds.select_related("outcome").order_by("number"))
    # Each other document is given in full once, where it first appears; later mentions name it.
    given: set[int] = {source.pk}
    data = {
        "format": FORMAT_VERSION,
        "dialogue": _dialogue(dialogue),
        "source": _document(source),
        "themes": _themes(dialogue, commitments),
        "agencies": _agencies(commitments),
        "rounds": [_round(r, given) for r in rounds],
        "commitments": [_commitment(c, source, given, notes) for c in _parents_first(commitments)],
        "updates": _updates(dialogue, notes),
        "assessments": _assessments(dialogue, notes),
    }
    return DialogueFile(data=data, notes=notes)


def dialogue_file_text(data: dict) -> str:
    """The file's text: UTF-8 as written (accents and dashes stay readable), two-space indents, and
    a final newline, as the seed file in tracker/data/ is written."""
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


# --- the parts --------------------------------------------------------------------------------


def _commitments(dialogue: Dialogue) -> list[Commitment]:
    return list(
        dialogue.commitments.select_related("parent", "source", "made_in_round")
        .prefetch_related(
            Prefetch("themes", queryset=Theme.objects.select_related("dialogue")),
            Prefetch("participations", queryset=Participation.objects.select_related("agency")),
            Prefetch("blocked_by", queryset=Commitment.objects.only("id", "slug", "dialogue_id")),
        )
        .order_by("id")
    )


def _main_source(dialogue: Dialogue, commitments: list[Commitment]) -> SourceDocument:
    """The file's `source`: the document most of the dialogue's commitments quote (ties: the
    earliest, then by title, so the choice survives a round trip)."""
    uses = Counter(c.source for c in commitments if c.source is not None)
    if not uses:
        raise DialogueExportError(
            f"The dialogue '{dialogue.slug}' has no commitment quoting a source document, and the file "
            "needs one as its 'source'. Add the commitments, with their source and quote, first."
        )
    return min(uses, key=lambda doc: (-uses[doc], doc.published_on, doc.title))


def _dialogue(dialogue: Dialogue) -> dict:
    return {
        "slug": dialogue.slug,
        "name": dialogue.name,
        "name_fr": dialogue.name_fr,
        "parties": dialogue.party_codes,
        "announced_on": dialogue.announced_on.isoformat(),
        "description": dialogue.description,
        "description_fr": dialogue.description_fr,
    }


def _document(doc: SourceDocument) -> dict:
    return {
        "title": doc.title,
        "publisher": doc.publisher,
        "published_on": doc.published_on.isoformat(),
        "url": doc.url,
        "language": doc.language,
        "text": doc.text,
    }


def _document_named(doc: SourceDocument, given: set[int]) -> dict:
    """A document in full the first time the file mentions it, then by title and date."""
    if doc.pk in given:
        return {"title": doc.title, "published_on": doc.published_on.isoformat()}
    given.add(doc.pk)
    return _document(doc)


def _themes(dialogue: Dialogue, commitments: list[Commitment]) -> list[dict]:
    """The dialogue's themes, and any theme of no dialogue that its commitments use (loading the
    file makes those the dialogue's, as the loader does)."""
    themes = {t.pk: t for t in dialogue.themes.all()}
    for commitment in commitments:
        for theme in commitment.themes.all():
            if theme.dialogue_id not in (None, dialogue.pk):
                raise DialogueExportError(
                    f"The commitment '{commitment.slug}' has the theme '{theme.slug}' of another dialogue "
                    f"({theme.dialogue}); a commitment's themes must be its own dialogue's. Mend it in "
                    "the admin first."
                )
            themes.setdefault(theme.pk, theme)
    return [
        {
            "slug": t.slug,
            "name": t.name,
            "name_fr": t.name_fr,
            "description": t.description,
            "description_fr": t.description_fr,
            "order": t.order,
            "kind": t.kind,
        }
        for t in sorted(themes.values(), key=lambda t: (t.order, t.slug))
    ]


def _agencies(commitments: list[Commitment]) -> list[dict]:
    """The agencies taking part in the commitments, with their parents (which a load needs first)."""
    agencies = {p.agency.pk: p.agency for c in commitments for p in c.participations.all()}
    pending = [a for a in agencies.values() if a.parent_id is not None]
    while pending:
        parent = pending.pop().parent
        if parent.pk not in agencies:
            agencies[parent.pk] = parent
            if parent.parent_id is not None:
                pending.append(parent)
    return [
        {
            "slug": a.slug,
            "name": a.name,
            "name_fr": a.name_fr,
            "acronym": a.acronym,
            "country": a.country,
            "parent": a.parent.slug if a.parent_id else None,
            "named_in_source": a.named_in_source,
            "description": a.description,
            "description_fr": a.description_fr,
        }
        for a in sorted(agencies.values(), key=lambda a: (a.country, a.name, a.slug))
    ]


def _round(round_: Round, given: set[int]) -> dict:
    return {
        "number": round_.number,
        "held_on": round_.held_on.isoformat(),
        "place": round_.place,
        "title": round_.title,
        "outcome": _document_named(round_.outcome, given) if round_.outcome_id else None,
    }


def _parents_first(commitments: list[Commitment]) -> list[Commitment]:
    """Each commitment followed by its sub-commitments, siblings in the order they were made. A load
    creates them parents first, siblings in the file's order, so the order comes back the same."""
    children: dict[int | None, list[Commitment]] = {}
    for commitment in commitments:
        children.setdefault(commitment.parent_id, []).append(commitment)
    ordered: list[Commitment] = []

    def visit(parent_id):
        for child in children.get(parent_id, []):
            ordered.append(child)
            visit(child.pk)

    visit(None)
    return ordered


def _commitment(commitment: Commitment, source: SourceDocument, given: set[int], notes: list[str]) -> dict:
    if commitment.source is None or not commitment.quote:
        raise DialogueExportError(
            f"The commitment '{commitment.slug}' has no source document or no quote; the file needs "
            "each commitment's words, verbatim from its source. Set them in the admin first."
        )
    record = {
        "slug": commitment.slug,
        "title": commitment.title,
        "title_fr": commitment.title_fr,
        "description": commitment.description,
        "description_fr": commitment.description_fr,
        "parent": commitment.parent.slug if commitment.parent_id else None,
        "themes": sorted(t.slug for t in commitment.themes.all()),
        "agencies": [
            {"agency": p.agency.slug, "role": p.role}
            for p in sorted(
                commitment.participations.all(),
                key=lambda p: (p.role, p.agency.country, p.agency.name, p.agency.slug),
            )
        ],
        "quote": commitment.quote,
        "announced_on": commitment.announced_on.isoformat(),
        "due_on": commitment.due_on.isoformat() if commitment.due_on else None,
        "made_in_round": commitment.made_in_round.number if commitment.made_in_round_id else None,
        "blocked_by": sorted(
            b.slug for b in commitment.blocked_by.all() if b.dialogue_id == commitment.dialogue_id
        ),
    }
    # Without 'source' a commitment quotes the file's source; any other document is named.
    if commitment.source_id != source.pk:
        record["source"] = _document_named(commitment.source, given)
    elsewhere = sorted(b.slug for b in commitment.blocked_by.all() if b.dialogue_id != commitment.dialogue_id)
    if elsewhere:
        notes.append(
            f"commitment {commitment.slug}: blocked by commitments of other dialogues "
            f"({', '.join(elsewhere)}), which a dialogue file cannot name: left out."
        )
    return record


def _updates(dialogue: Dialogue, notes: list[str]) -> list[dict]:
    """The updates that count, oldest report first and, on one day, in the order recorded (the last
    recorded is the one that counts, on a page and after a load alike).

    Withdrawn updates are left out: they no longer count anywhere, and a load could only post them
    again and withdraw them anew, as if that happened on the day of the load, by whoever loads."""
    updates = (
        StatusUpdate.objects.filter(commitment__dialogue=dialogue)
        .select_related("commitment", "author")
        .order_by("reported_on", "created_at", "id")
    )
    records, seen, withdrawn, repeated = [], set(), 0, 0
    for update in updates:
        if update.is_withdrawn:
            withdrawn += 1
            continue
        # The loader recognises an update by these; a second one alike would not be loaded.
        key = (update.commitment.slug, update.reported_on, update.status, update.progress, update.text)
        if key in seen:
            repeated += 1
            continue
        seen.add(key)
        records.append(
            {
                "commitment": update.commitment.slug,
                "reported_on": update.reported_on.isoformat(),
                "status": update.status,
                "progress": update.progress,
                "text": update.text,
                "evidence_url": update.evidence_url,
                "reason": update.reason,
                "reason_note": update.reason_note,
                "author": update.author.get_username(),
            }
        )
    if withdrawn:
        notes.append(f"{withdrawn} withdrawn status update(s) left out: they no longer count.")
    if repeated:
        notes.append(
            f"{repeated} status update(s) left out that repeat an earlier one (same commitment, date, "
            "status, progress and text): a load would recognise them as that one."
        )
    return records


def _assessments(dialogue: Dialogue, notes: list[str]) -> list[dict]:
    """Every assessment, in the order recorded: for a party at a round, the last one counts."""
    assessments = (
        Assessment.objects.filter(commitment__dialogue=dialogue)
        .select_related("commitment", "round", "assessor")
        .order_by("created_at", "id")
    )
    records, seen, repeated = [], set(), 0
    for assessment in assessments:
        rationale = assessment.rationale.strip()
        key = (
            assessment.commitment.slug,
            assessment.party,
            assessment.round.number,
            assessment.score,
            rationale,
            assessment.assessed_on,
        )
        if key in seen:
            repeated += 1
            continue
        seen.add(key)
        records.append(
            {
                "commitment": assessment.commitment.slug,
                "party": assessment.party,
                "round": assessment.round.number,
                "score": NO_EVIDENCE if assessment.score is None else assessment.score,
                "rationale": rationale,
                "evidence": assessment.evidence_links,
                "assessed_on": assessment.assessed_on.isoformat(),
                "assessor": assessment.assessor.get_username(),
            }
        )
    if repeated:
        notes.append(
            f"{repeated} assessment(s) left out that repeat an earlier one (same commitment, party, "
            "round, score, rationale and date): a load would recognise them as that one."
        )
    return records
