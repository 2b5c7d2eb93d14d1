"""Load a dialogue — its source document, themes, agencies and commitments — from a JSON file.

The file format is documented in README.md ("Adding a dialogue"); tracker/data/ holds the default.
Everything is checked before anything is written, and the writing happens in one transaction, so a
bad file changes nothing. Records are matched by their natural keys (slugs, title + date) and saved
only when a value differs, so loading the same file twice changes nothing.
"""

import datetime
import json
from collections import Counter
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction

from .models import Agency, Commitment, Dialogue, Participation, Role, SourceDocument, Theme, ThemeKind

DEFAULT_DIALOGUE_FILE = Path(__file__).resolve().parent / "data" / "us_france_space_dialogue_2021.json"


class DialogueFileError(Exception):
    """The file cannot be loaded; the message names the place and the problem."""


def read_dialogue_file(path: Path | str) -> dict:
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except FileNotFoundError as exc:
        raise DialogueFileError(f"{path}: no such file") from exc
    except UnicodeDecodeError as exc:
        raise DialogueFileError(f"{path}: not UTF-8 text ({exc.reason})") from exc
    except json.JSONDecodeError as exc:
        raise DialogueFileError(
            f"{path}: not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
        ) from exc
    if not isinstance(data, dict):
        raise DialogueFileError(f"{path}: the top level must be a JSON object")
    return data


# --- checking -----------------------------------------------------------------------------------


def _field(record: dict, key: str, where: str, *, kind=str, required=True, default=None):
    """Return record[key] checked against its kind; dates are ISO strings turned into dates."""
    if key not in record or record[key] is None:
        if required:
            raise DialogueFileError(f"{where}: missing '{key}'")
        return default
    value = record[key]
    if kind is datetime.date:
        try:
            return (
                datetime.date.fromisoformat(value) if isinstance(value, str) else _wrong(where, key, "a date")
            )
        except ValueError as exc:
            raise DialogueFileError(f"{where}: '{key}' must be a date as YYYY-MM-DD, not {value!r}") from exc
    if not isinstance(value, kind):
        _wrong(
            where,
            key,
            {str: "text", bool: "true or false", int: "a whole number", list: "a list", dict: "an object"}[
                kind
            ],
        )
    if kind is str and required and not value.strip():
        raise DialogueFileError(f"{where}: '{key}' must not be empty")
    return value


def _wrong(where, key, expected):
    raise DialogueFileError(f"{where}: '{key}' must be {expected}")


def _records(data: dict, key: str) -> list[dict]:
    records = _field(data, key, "file", kind=list)
    for index, record in enumerate(records):
        if not isinstance(record, dict):
            raise DialogueFileError(f"{key}[{index}]: each entry must be an object")
    return records


def _where(section: str, index: int, record: dict) -> str:
    slug = record.get("slug")
    return f"{section}[{index}] ({slug})" if isinstance(slug, str) else f"{section}[{index}]"


def _check_unique_slugs(section: str, records: list[dict]) -> set[str]:
    seen: set[str] = set()
    for index, record in enumerate(records):
        slug = _field(record, "slug", _where(section, index, record))
        if slug in seen:
            raise DialogueFileError(f"{section}[{index}]: slug '{slug}' appears twice")
        seen.add(slug)
    return seen


def check_dialogue_data(data: dict) -> None:
    """Raise DialogueFileError for the first problem found, before anything is written."""
    _field(data, "dialogue", "file", kind=dict)
    parties = _field(data["dialogue"], "parties", "dialogue", kind=list)
    if not all(isinstance(code, str) for code in parties):
        raise DialogueFileError("dialogue: 'parties' must be a list of country codes such as \"US\"")
    _field(data, "source", "file", kind=dict)
    source_text = _field(data["source"], "text", "source")
    theme_slugs = _check_unique_slugs("themes", _records(data, "themes"))
    agency_slugs = _check_unique_slugs("agencies", _records(data, "agencies"))
    commitments = _records(data, "commitments")
    commitment_slugs = _check_unique_slugs("commitments", commitments)
    known_themes = theme_slugs | set(Theme.objects.values_list("slug", flat=True))
    known_agencies = agency_slugs | set(Agency.objects.values_list("slug", flat=True))

    for index, record in enumerate(_records(data, "agencies")):
        parent = _field(record, "parent", _where("agencies", index, record), required=False)
        if parent is not None and parent not in known_agencies:
            raise DialogueFileError(f"{_where('agencies', index, record)}: unknown parent agency '{parent}'")

    for index, record in enumerate(commitments):
        where = _where("commitments", index, record)
        quote = _field(record, "quote", where)
        if quote not in source_text:
            raise DialogueFileError(f"{where}: quote not found in the source text: {quote!r}")
        for slug in _field(record, "themes", where, kind=list):
            if slug not in known_themes:
                raise DialogueFileError(f"{where}: unknown theme '{slug}'")
        for link in _field(record, "agencies", where, kind=list):
            if not isinstance(link, dict):
                raise DialogueFileError(f"{where}: each agency must be an object with 'agency' and 'role'")
            slug = _field(link, "agency", where)
            if slug not in known_agencies:
                raise DialogueFileError(f"{where}: unknown agency '{slug}'")
            if _field(link, "role", where) not in Role.values:
                raise DialogueFileError(f"{where}: role of '{slug}' must be one of {', '.join(Role.values)}")
        parent = _field(record, "parent", where, required=False)
        if parent is not None and parent not in commitment_slugs:
            raise DialogueFileError(f"{where}: unknown parent commitment '{parent}'")


# --- writing ------------------------------------------------------------------------------------


def _upsert(model, lookup: dict, values: dict, where: str, counts: Counter):
    """Create or update one row, saving only when something differs; model validation applies."""
    instance = model.objects.filter(**lookup).first()
    if instance is None:
        instance = model(**lookup, **values)
        action = "created"
    else:
        changed = {field: value for field, value in values.items() if getattr(instance, field) != value}
        if not changed:
            counts[f"{model._meta.verbose_name_plural} unchanged"] += 1
            return instance
        for field, value in changed.items():
            setattr(instance, field, value)
        action = "updated"
    try:
        instance.full_clean(validate_unique=False)
    except ValidationError as exc:
        problems = "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in exc.message_dict.items())
        raise DialogueFileError(f"{where}: {problems}") from exc
    instance.save()
    counts[f"{model._meta.verbose_name_plural} {action}"] += 1
    return instance


def _load_dialogue_and_source(data: dict, counts: Counter) -> tuple[Dialogue, SourceDocument]:
    d, s = data["dialogue"], data["source"]
    parties = _field(d, "parties", "dialogue", kind=list)
    dialogue = _upsert(
        Dialogue,
        {"slug": _field(d, "slug", "dialogue")},
        {
            "name": _field(d, "name", "dialogue"),
            "parties": ",".join(parties),
            "announced_on": _field(d, "announced_on", "dialogue", kind=datetime.date),
            "description": _field(d, "description", "dialogue", required=False, default=""),
        },
        "dialogue",
        counts,
    )
    source = _upsert(
        SourceDocument,
        {
            "title": _field(s, "title", "source"),
            "published_on": _field(s, "published_on", "source", kind=datetime.date),
        },
        {
            "publisher": _field(s, "publisher", "source", required=False, default=""),
            "url": _field(s, "url", "source", required=False, default=""),
            "text": s["text"],
        },
        "source",
        counts,
    )
    return dialogue, source


def _load_themes(data: dict, dialogue: Dialogue, counts: Counter) -> None:
    for index, record in enumerate(data["themes"]):
        where = _where("themes", index, record)
        other = (
            Theme.objects.filter(slug=record["slug"])
            .exclude(dialogue=dialogue)
            .exclude(dialogue=None)
            .first()
        )
        if other is not None:
            # Theme addresses (/themes/<slug>/) are shared by all dialogues: a slug names one objective.
            raise DialogueFileError(
                f"{where}: the theme '{other.slug}' is an objective of another dialogue ({other.dialogue}); "
                "give this one its own slug"
            )
        kind = _field(record, "kind", where, required=False, default=ThemeKind.OBJECTIVE)
        if kind not in ThemeKind.values:
            raise DialogueFileError(f"{where}: 'kind' must be one of {', '.join(ThemeKind.values)}")
        _upsert(
            Theme,
            {"slug": record["slug"]},
            {
                "dialogue": dialogue,
                "kind": kind,
                "name": _field(record, "name", where),
                "description": _field(record, "description", where, required=False, default=""),
                "order": _field(record, "order", where, kind=int, required=False, default=index),
            },
            where,
            counts,
        )


def _load_agencies(data: dict, counts: Counter) -> None:
    # Parents first: a child's parent must exist before the child points at it.
    pending = list(enumerate(data["agencies"]))
    while pending:
        ready = [
            (i, r)
            for i, r in pending
            if not r.get("parent") or Agency.objects.filter(slug=r["parent"]).exists()
        ]
        if not ready:
            raise DialogueFileError(
                "agencies: parents form a cycle: " + ", ".join(r["slug"] for _, r in pending)
            )
        for index, record in ready:
            where = _where("agencies", index, record)
            parent = Agency.objects.get(slug=record["parent"]) if record.get("parent") else None
            _upsert(
                Agency,
                {"slug": record["slug"]},
                {
                    "name": _field(record, "name", where),
                    "acronym": _field(record, "acronym", where, required=False, default=""),
                    "country": _field(record, "country", where),
                    "parent": parent,
                    "named_in_source": _field(record, "named_in_source", where, kind=bool),
                    "description": _field(record, "description", where, required=False, default=""),
                },
                where,
                counts,
            )
        pending = [item for item in pending if item not in ready]


def _sync_participations(commitment: Commitment, links: list[dict], counts: Counter) -> None:
    wanted = {link["agency"]: link["role"] for link in links}
    agencies = {a.slug: a for a in Agency.objects.filter(slug__in=wanted)}
    existing = {p.agency.slug: p for p in commitment.participations.select_related("agency")}
    for slug, participation in existing.items():
        if slug not in wanted:
            participation.delete()
            counts["participations removed"] += 1
    for slug, role in wanted.items():
        _upsert(
            Participation,
            {"commitment": commitment, "agency": agencies[slug]},
            {"role": role},
            f"commitment {commitment.slug}, agency {slug}",
            counts,
        )


def _load_commitments(data: dict, dialogue: Dialogue, source: SourceDocument, counts: Counter) -> None:
    by_slug: dict[str, Commitment] = {}
    # Parents before children, in the file's order otherwise.
    ordered = sorted(enumerate(data["commitments"]), key=lambda item: _depth(item[1], data["commitments"]))
    for index, record in ordered:
        where = _where("commitments", index, record)
        commitment = _upsert(
            Commitment,
            {"dialogue": dialogue, "slug": record["slug"]},
            {
                "title": _field(record, "title", where),
                "description": _field(record, "description", where, required=False, default=""),
                "parent": by_slug.get(record.get("parent")),
                "announced_on": _field(
                    record,
                    "announced_on",
                    where,
                    kind=datetime.date,
                    required=False,
                    default=dialogue.announced_on,
                ),
                "due_on": _field(record, "due_on", where, kind=datetime.date, required=False),
                "source": source,
                "quote": record["quote"],
            },
            where,
            counts,
        )
        by_slug[commitment.slug] = commitment
        commitment.themes.set(Theme.objects.filter(slug__in=record["themes"]))
        _sync_participations(commitment, record["agencies"], counts)


def _depth(record: dict, records: list[dict]) -> int:
    parents = {r["slug"]: r.get("parent") for r in records}
    depth, parent, seen = 0, record.get("parent"), set()
    while parent and parent not in seen:
        seen.add(parent)
        depth, parent = depth + 1, parents.get(parent)
    if parent:
        raise DialogueFileError(f"commitments: parents form a cycle through '{parent}'")
    return depth


@transaction.atomic
def dialogue_load(*, data: dict) -> Counter:
    """Check and load one dialogue file's data; return what was created, updated or left alone."""
    check_dialogue_data(data)
    counts: Counter = Counter()
    dialogue, source = _load_dialogue_and_source(data, counts)
    _load_themes(data, dialogue, counts)
    _load_agencies(data, counts)
    _load_commitments(data, dialogue, source, counts)
    return counts
