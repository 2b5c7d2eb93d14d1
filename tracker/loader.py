"""Load a dialogue — its source documents, themes, agencies, commitments, rounds, status updates and
assessments — from a JSON file.

The file format is documented in README.md ("Adding a dialogue"); tracker/data/ holds the default,
and `manage.py export_dialogue` (tracker/exports/dialogue_file.py) writes a dialogue back out in it.
Everything is checked before anything is written, and the writing happens in one transaction, so a
bad file changes nothing. Records are matched by their natural keys (slugs, title + date) and saved
only when a value differs, so loading the same file twice changes nothing.
"""

import datetime
import json
from collections import Counter
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from simple_history.models import HistoricalRecords

from . import rules, services
from .models import (
    Agency,
    Assessment,
    Commitment,
    Dialogue,
    Participation,
    Role,
    Round,
    Score,
    SourceDocument,
    StatusUpdate,
    Theme,
    ThemeKind,
    not_in_the_future,
)
from .quotes import quote_not_verbatim

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
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
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


# The French versions a record may carry (tracker/models/content.py), by section. Optional: a file
# without them leaves what the tracker holds as it is (an older file must not undo the admin's).
FRENCH_FIELDS = {
    "dialogue": ("name_fr", "description_fr"),
    "themes": ("name_fr", "description_fr"),
    "agencies": ("name_fr", "description_fr"),
    "commitments": ("title_fr", "description_fr"),
}
LANGUAGE_CODES = [code for code, _name in settings.LANGUAGES]


def _french(record: dict, section: str, where: str) -> dict:
    """The French versions `record` gives, each text (blank allowed), by field name."""
    return {
        key: _field(record, key, where, required=False, default="")
        for key in FRENCH_FIELDS[section]
        if key in record
    }


def _language(document: dict, where: str) -> dict:
    """A document's `language` when the file gives one (one of the site's languages)."""
    if "language" not in document:
        return {}
    language = _field(document, "language", where)
    if language not in LANGUAGE_CODES:
        raise DialogueFileError(
            f"{where}: 'language' must be one of {', '.join(LANGUAGE_CODES)}, not {language!r}"
        )
    return {"language": language}


def _check_texts(data: dict) -> None:
    """The French versions and documents' languages, wherever the file gives them."""
    _french(data["dialogue"], "dialogue", "dialogue")
    _language(data["source"], "source")
    for section in ("themes", "agencies", "commitments"):
        for index, record in enumerate(_records(data, section)):
            _french(record, section, _where(section, index, record))
    for index, record in enumerate(_records(data, "rounds") if "rounds" in data else []):
        if isinstance(record.get("outcome"), dict):
            _language(record["outcome"], f"rounds[{index}] outcome")
    for index, record in enumerate(_records(data, "commitments")):
        if isinstance(record.get("source"), dict):
            _language(record["source"], f"{_where('commitments', index, record)} source")


def _check_unique_slugs(section: str, records: list[dict]) -> set[str]:
    seen: set[str] = set()
    for index, record in enumerate(records):
        slug = _field(record, "slug", _where(section, index, record))
        if slug in seen:
            raise DialogueFileError(f"{section}[{index}]: slug '{slug}' appears twice")
        seen.add(slug)
    return seen


def check_dialogue_data(data: dict, *, author=None) -> None:
    """Raise DialogueFileError for the first problem found, before anything is written.

    `author` is the user the loader records updates and assessments under when they name none
    (load_dialogue --author); without one, every update and assessment must name its own.
    """
    _field(data, "dialogue", "file", kind=dict)
    dialogue_slug = _field(data["dialogue"], "slug", "dialogue")
    parties = _field(data["dialogue"], "parties", "dialogue", kind=list)
    if not all(isinstance(code, str) for code in parties):
        raise DialogueFileError("dialogue: 'parties' must be a list of country codes such as \"US\"")
    _field(data, "source", "file", kind=dict)
    source_text = _field(data["source"], "text", "source")
    theme_slugs = _check_unique_slugs("themes", _records(data, "themes"))
    agency_slugs = _check_unique_slugs("agencies", _records(data, "agencies"))
    commitments = _records(data, "commitments")
    commitment_slugs = _check_unique_slugs("commitments", commitments)
    _check_texts(data)
    known_agencies = agency_slugs | set(Agency.objects.values_list("slug", flat=True))
    # What the database already holds for this dialogue: a file may refer to it too.
    existing = Dialogue.objects.filter(slug=dialogue_slug).first()
    given = _documents_given(data)
    round_numbers = _check_rounds(data, existing, given)

    for index, record in enumerate(_records(data, "agencies")):
        parent = _field(record, "parent", _where("agencies", index, record), required=False)
        if parent is not None and parent not in known_agencies:
            raise DialogueFileError(f"{_where('agencies', index, record)}: unknown parent agency '{parent}'")

    own_theme = _theme_checker(theme_slugs, existing)
    for index, record in enumerate(commitments):
        where = _where("commitments", index, record)
        quote = _field(record, "quote", where)
        document = _field(record, "source", where, kind=dict, required=False)
        text = source_text if document is None else _named_document(document, given, where, "source")
        # The model's rule (Commitment.clean), in its words: checked here too so that nothing is
        # written before the whole file is known to be good.
        not_verbatim = quote_not_verbatim(quote, text)
        if not_verbatim is not None:
            raise DialogueFileError(f"{where}: quote: {' '.join(not_verbatim.messages)}")
        for slug in _field(record, "themes", where, kind=list):
            own_theme(slug, where)
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
        made_in = _field(record, "made_in_round", where, kind=int, required=False)
        if made_in is not None:
            _check_round_number(made_in, round_numbers, where, "made_in_round")

    known_commitments = commitment_slugs | _existing_commitment_slugs(existing)
    _check_blockers(commitments, known_commitments, existing)
    users = _users_named(data)
    _check_assessments(data, parties, round_numbers, known_commitments, users, author)
    _check_updates(data, known_commitments, users, author)


def _document_key(document: dict, where: str) -> tuple[str, datetime.date]:
    """A document's natural key, as SourceDocument's unique constraint has it: title and date."""
    return _field(document, "title", where), _field(document, "published_on", where, kind=datetime.date)


def _documents_given(data: dict) -> dict[tuple[str, datetime.date], str]:
    """The documents the file gives in full, by title and date, with their text: its source, and each
    round outcome or commitment source given with its 'text'. One given twice must read the same."""
    source = data["source"]
    given = {_document_key(source, "source"): source["text"]}
    rounds = _records(data, "rounds") if "rounds" in data else []
    entries = [(f"rounds[{index}] outcome", record.get("outcome")) for index, record in enumerate(rounds)]
    entries += [
        (f"{_where('commitments', index, record)} source", record.get("source"))
        for index, record in enumerate(_records(data, "commitments"))
    ]
    for where, document in entries:
        if not isinstance(document, dict) or "text" not in document:
            continue
        key, text = _document_key(document, where), _field(document, "text", where)
        if given.setdefault(key, text) != text:
            raise DialogueFileError(
                f"{where}: '{key[0]}' ({key[1]}) is given again with a different text; give it once, "
                "then name it by 'title' and 'published_on'"
            )
    return given


def _named_document(document: dict, given: dict, where: str, what: str) -> str:
    """The text of the document a round's outcome or a commitment's source names: one the file
    gives in full, or one already loaded."""
    key = _document_key(document, f"{where} {what}")
    if key in given:
        return given[key]
    loaded = SourceDocument.objects.filter(title=key[0], published_on=key[1]).first()
    if loaded is None:
        raise DialogueFileError(
            f"{where}: {what} '{key[0]}' ({key[1]}) is neither this file's source nor a document "
            "already loaded; give its 'text' to load it"
        )
    return loaded.text


def _check_rounds(data: dict, existing: Dialogue | None, given: dict) -> set[int]:
    """Check the rounds; return the round numbers a commitment or assessment may name: the file's
    and those the dialogue already has."""
    numbers: set[int] = set()
    for index, record in enumerate(_records(data, "rounds") if "rounds" in data else []):
        where = f"rounds[{index}]"
        number = _field(record, "number", where, kind=int)
        if number < 1:
            raise DialogueFileError(f"{where}: 'number' must be 1 or more, not {number}")
        where = f"rounds[{index}] (round {number})"
        if number in numbers:
            raise DialogueFileError(f"{where}: round {number} appears twice")
        numbers.add(number)
        _field(record, "held_on", where, kind=datetime.date)
        _field(record, "place", where, required=False)
        _field(record, "title", where, required=False)
        outcome = _field(record, "outcome", where, kind=dict, required=False)
        if outcome is not None:
            _named_document(outcome, given, where, "outcome")
    if existing is not None:
        numbers |= set(existing.rounds.values_list("number", flat=True))
    return numbers


def _check_round_number(number, round_numbers: set[int], where: str, key: str) -> None:
    if number not in round_numbers:
        known = ", ".join(str(n) for n in sorted(round_numbers)) or "none yet"
        raise DialogueFileError(f"{where}: {key} {number} is not one of the dialogue's rounds ({known})")


def _theme_checker(theme_slugs: set[str], existing: Dialogue | None):
    """A function that refuses a commitment's theme unless it is this dialogue's: in the file, or
    loaded before for this dialogue (or for none)."""
    loaded = {
        theme.slug: theme for theme in Theme.objects.select_related("dialogue").exclude(slug__in=theme_slugs)
    }
    own_id = existing.pk if existing else None

    def check(slug: str, where: str) -> None:
        if slug in theme_slugs:
            return
        theme = loaded.get(slug)
        if theme is None:
            raise DialogueFileError(f"{where}: unknown theme '{slug}'")
        if theme.dialogue_id is not None and theme.dialogue_id != own_id:
            raise DialogueFileError(
                f"{where}: the theme '{slug}' is an objective of another dialogue ({theme.dialogue}); "
                "a commitment's themes must be its own dialogue's"
            )

    return check


def _existing_commitment_slugs(existing: Dialogue | None) -> set[str]:
    if existing is None:
        return set()
    return set(existing.commitments.values_list("slug", flat=True))


def _check_blockers(commitments: list[dict], known: set[str], existing: Dialogue | None) -> None:
    """Each blocker a commitment of this dialogue, and no commitment waiting on itself once the
    file is loaded (services.blocking_chain over the dependencies the load would leave)."""
    wanted: dict[str, list[str]] = {}
    for index, record in enumerate(commitments):
        where = _where("commitments", index, record)
        blockers = _field(record, "blocked_by", where, kind=list, required=False)
        if "blocked_by" not in record:
            continue
        for slug in blockers or []:
            if not isinstance(slug, str) or slug not in known:
                raise DialogueFileError(f"{where}: blocked_by names an unknown commitment {slug!r}")
        wanted[record["slug"]] = list(dict.fromkeys(blockers or []))
    if not wanted:
        return
    edges = [(slug, blocker) for slug, blockers in wanted.items() for blocker in blockers]
    if existing is not None:
        # Dependencies already loaded stay unless the file sets that commitment's blockers anew.
        through = Commitment.blocked_by.through.objects.filter(
            from_commitment__dialogue=existing, to_commitment__dialogue=existing
        ).values_list("from_commitment__slug", "to_commitment__slug")
        edges += [(blocked, blocker) for blocked, blocker in through if blocked not in wanted]
    for index, record in enumerate(commitments):
        if record["slug"] not in wanted:
            continue
        chain = services.blocking_chain(record["slug"], wanted[record["slug"]], edges)
        if chain is not None:
            raise DialogueFileError(
                f"{_where('commitments', index, record)}: blocked_by would make a commitment wait on "
                f"itself: {' → '.join(chain)} (each is blocked by the next)"
            )


def _users_named(data: dict) -> dict:
    """The users that updates and assessments name as their author or assessor, by username."""
    names = {
        record.get(key)
        for section, key in (("updates", "author"), ("assessments", "assessor"))
        for record in (data.get(section) or [])
        if isinstance(record, dict) and isinstance(record.get(key), str)
    }
    return {user.username: user for user in get_user_model().objects.filter(username__in=names)}


def _check_person(record: dict, key: str, where: str, users: dict, author) -> None:
    username = _field(record, key, where, required=False)
    if username is None:
        if author is None:
            raise DialogueFileError(
                f"{where}: no {key}: name one here ('{key}': a username) or load the file with "
                "--author USERNAME"
            )
    elif username not in users:
        raise DialogueFileError(f"{where}: '{key}' names no user of the tracker: '{username}'")


def _record_where(section: str, index: int, record: dict) -> str:
    slug = record.get("commitment")
    return f"{section}[{index}] ({slug})" if isinstance(slug, str) else f"{section}[{index}]"


def _check_commitment_named(record: dict, where: str, known: set[str]) -> None:
    slug = _field(record, "commitment", where)
    if slug not in known:
        raise DialogueFileError(f"{where}: unknown commitment '{slug}'")


def _check_date_passed(record: dict, key: str, where: str) -> datetime.date:
    day = _field(record, key, where, kind=datetime.date)
    try:
        not_in_the_future(day)
    except ValidationError as exc:
        raise DialogueFileError(f"{where}: '{key}' {day}: {' '.join(exc.messages)}") from exc
    return day


def _check_links(links: list, where: str, key: str) -> None:
    check_url = URLValidator()
    for link in links:
        try:
            check_url(link if isinstance(link, str) else "")
        except ValidationError as exc:
            raise DialogueFileError(f"{where}: {key}: {link!r} is not a web address") from exc


# The file's word for "no evidence available": an answer of its own, never a zero.
NO_EVIDENCE = rules.NO_EVIDENCE


def _score(record: dict, where: str) -> int | None:
    """The score as stored: +1, 0 or −1, or None for "no evidence available"."""
    if "score" not in record:
        raise DialogueFileError(f"{where}: missing 'score'")
    value = record["score"]
    if value == NO_EVIDENCE:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value not in Score.values:
        raise DialogueFileError(
            f"{where}: 'score' must be 1, 0 or -1, or \"{NO_EVIDENCE}\" (no evidence available), not {value!r}"
        )
    return value


def _check_assessments(data, parties, round_numbers, known_commitments, users, author) -> None:
    if "assessments" not in data:
        return
    for index, record in enumerate(_records(data, "assessments")):
        where = _record_where("assessments", index, record)
        _check_commitment_named(record, where, known_commitments)
        party = _field(record, "party", where)
        if party not in parties:
            raise DialogueFileError(
                f"{where}: party '{party}' is not one of the dialogue's parties ({', '.join(parties)})"
            )
        _check_round_number(_field(record, "round", where, kind=int), round_numbers, where, "round")
        _score(record, where)
        _field(record, "rationale", where)
        _check_links(
            _field(record, "evidence", where, kind=list, required=False, default=[]), where, "evidence"
        )
        _check_date_passed(record, "assessed_on", where)
        _check_person(record, "assessor", where, users, author)


def _check_updates(data, known_commitments, users, author) -> None:
    if "updates" not in data:
        return
    for index, record in enumerate(_records(data, "updates")):
        where = _record_where("updates", index, record)
        _check_commitment_named(record, where, known_commitments)
        _check_date_passed(record, "reported_on", where)
        status = _field(record, "status", where)
        if status not in rules.Status.values:
            raise DialogueFileError(f"{where}: 'status' must be one of {', '.join(rules.Status.values)}")
        progress = _field(record, "progress", where, kind=int)
        if isinstance(progress, bool) or not 0 <= progress <= 100:
            raise DialogueFileError(
                f"{where}: 'progress' must be a whole number from 0 to 100, not {progress!r}"
            )
        _field(record, "text", where)
        evidence_url = _field(record, "evidence_url", where, required=False, default="")
        if evidence_url:
            _check_links([evidence_url], where, "evidence_url")
        reason = _field(record, "reason", where, required=False, default="")
        if reason and reason not in rules.SlipReason.values:
            raise DialogueFileError(f"{where}: 'reason' must be one of {', '.join(rules.SlipReason.values)}")
        note = _field(record, "reason_note", where, required=False, default="")
        # The same rule, in the same words, as the page and the admin (rules.slip_reason_problems).
        for message in rules.slip_reason_problems(status, reason, note).values():
            raise DialogueFileError(f"{where}: {message}")
        _check_person(record, "author", where, users, author)


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
            **_french(d, "dialogue", "dialogue"),
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
            **_language(s, "source"),
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
                **_french(record, "themes", where),
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
                    **_french(record, "agencies", where),
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
    rounds = {r.number: r for r in dialogue.rounds.all()}
    # Parents before children, in the file's order otherwise.
    ordered = sorted(enumerate(data["commitments"]), key=lambda item: _depth(item[1], data["commitments"]))
    for index, record in ordered:
        where = _where("commitments", index, record)
        # Left alone when the file does not say: an older file must not undo what the admin set.
        made_in = {"made_in_round": rounds.get(record["made_in_round"])} if "made_in_round" in record else {}
        commitment = _upsert(
            Commitment,
            {"dialogue": dialogue, "slug": record["slug"]},
            {
                **made_in,
                "title": _field(record, "title", where),
                "description": _field(record, "description", where, required=False, default=""),
                **_french(record, "commitments", where),
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
                "source": _document(record["source"]) if record.get("source") else source,
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


def _load_rounds(data: dict, dialogue: Dialogue, counts: Counter) -> None:
    for index, record in enumerate(data.get("rounds") or []):
        where = f"rounds[{index}] (round {record['number']})"
        _upsert(
            Round,
            {"dialogue": dialogue, "number": record["number"]},
            {
                "held_on": _field(record, "held_on", where, kind=datetime.date),
                "place": _field(record, "place", where, required=False, default=""),
                "title": _field(record, "title", where, required=False, default=""),
                "outcome": _document(record["outcome"]) if record.get("outcome") else None,
            },
            where,
            counts,
        )


def _load_documents(data: dict, source: SourceDocument, counts: Counter) -> None:
    """Load the documents the file gives in full besides its source (a round's outcome, a
    commitment's source), before anything names them."""
    loaded = {(source.title, source.published_on)}
    rounds = [(f"rounds[{i}] outcome", r.get("outcome")) for i, r in enumerate(data.get("rounds") or [])]
    commitments = [
        (f"{_where('commitments', i, r)} source", r.get("source")) for i, r in enumerate(data["commitments"])
    ]
    for where, document in rounds + commitments:
        if not document or "text" not in document:
            continue
        lookup = {
            "title": document["title"],
            "published_on": _field(document, "published_on", where, kind=datetime.date),
        }
        if (lookup["title"], lookup["published_on"]) in loaded:
            continue
        loaded.add((lookup["title"], lookup["published_on"]))
        values = {
            "publisher": _field(document, "publisher", where, required=False, default=""),
            "url": _field(document, "url", where, required=False, default=""),
            "text": document["text"],
            **_language(document, where),
        }
        _upsert(SourceDocument, lookup, values, where, counts)


def _document(document: dict) -> SourceDocument:
    """The document a round's outcome or a commitment's source names (loaded by now)."""
    return SourceDocument.objects.get(
        title=document["title"], published_on=datetime.date.fromisoformat(document["published_on"])
    )


def _refused(where: str, exc: ValidationError) -> DialogueFileError:
    """A service's refusal, as the loader's message naming the place."""
    if hasattr(exc, "error_dict"):
        problems = "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in exc.message_dict.items())
    else:
        problems = " ".join(exc.messages)
    return DialogueFileError(f"{where}: {problems}")


def _load_blockers(data: dict, dialogue: Dialogue, author, counts: Counter) -> None:
    """Set each commitment's blockers to the file's list (those without `blocked_by` keep theirs),
    through services.commitment_set_blockers so a cycle is refused and the change is in the history.

    Dependencies the file drops go first: the cycle check then sees only what will remain, so a
    file that turns a dependency round (a blocked by b, where b was blocked by a) loads."""
    records = [(index, r) for index, r in enumerate(data["commitments"]) if "blocked_by" in r]
    if not records:
        return
    by_slug = {c.slug: c for c in dialogue.commitments.prefetch_related("blocked_by")}
    current = {
        slug: {b.slug for b in c.blocked_by.all() if b.dialogue_id == dialogue.pk}
        for slug, c in by_slug.items()
    }
    plans = []
    for index, record in records:
        wanted = set(record["blocked_by"] or [])
        if wanted == current[record["slug"]]:
            counts["blockers unchanged"] += 1
            continue
        plans.append((index, record, wanted))
    for final in (False, True):
        for index, record, wanted in plans:
            commitment = by_slug[record["slug"]]
            slugs = wanted if final else wanted & current[record["slug"]]
            # Blockers in other dialogues (set in the admin) are not the file's to remove.
            others = [b for b in commitment.blocked_by.all() if b.dialogue_id != dialogue.pk]
            try:
                services.commitment_set_blockers(
                    commitment=commitment, blockers=[by_slug[s] for s in slugs] + others, by=author
                )
            except ValidationError as exc:
                raise _refused(_where("commitments", index, record), exc) from exc
    counts["blockers set"] += len(plans)


def _person(record: dict, key: str, users: dict, author):
    return users[record[key]] if record.get(key) else author


def _load_updates(data: dict, dialogue: Dialogue, author, counts: Counter) -> None:
    """Post each update not yet in the trail through services.status_update_create, so the reason
    rule applies and the commitment's state follows its latest update. An update already there
    (same commitment, date, status, progress and text; withdrawn or not) is left alone."""
    records = data.get("updates") or []
    if not records:
        return
    users = _users_named(data)
    commitments = {c.slug: c for c in dialogue.commitments.all()}
    for index, record in sorted(enumerate(records), key=lambda item: item[1]["reported_on"]):
        where = _record_where("updates", index, record)
        commitment = commitments[record["commitment"]]
        reported_on = datetime.date.fromisoformat(record["reported_on"])
        already = StatusUpdate.objects.filter(
            commitment=commitment,
            reported_on=reported_on,
            status=record["status"],
            progress=record["progress"],
            text=record["text"],
        ).exists()
        if already:
            counts["status updates unchanged"] += 1
            continue
        poster = _person(record, "author", users, author)
        try:
            with _history_user(poster):
                services.status_update_create(
                    commitment=commitment,
                    author=poster,
                    status=record["status"],
                    progress=record["progress"],
                    text=record["text"],
                    reported_on=reported_on,
                    evidence_url=record.get("evidence_url") or "",
                    reason=record.get("reason") or "",
                    reason_note=record.get("reason_note") or "",
                )
        except ValidationError as exc:
            raise _refused(where, exc) from exc
        counts["status updates created"] += 1


def _load_assessments(data: dict, dialogue: Dialogue, author, counts: Counter) -> None:
    """Record each assessment not yet recorded through services.assessment_create. One already
    there (same commitment, party, round, score, rationale and date) is left alone; a corrected
    one is a new assessment, as on the page."""
    records = data.get("assessments") or []
    if not records:
        return
    users = _users_named(data)
    commitments = {c.slug: c for c in dialogue.commitments.select_related("dialogue")}
    rounds = {r.number: r for r in dialogue.rounds.all()}
    for index, record in enumerate(records):
        where = _record_where("assessments", index, record)
        commitment, round_ = commitments[record["commitment"]], rounds[record["round"]]
        score = _score(record, where)
        rationale = record["rationale"].strip()
        assessed_on = datetime.date.fromisoformat(record["assessed_on"])
        already = Assessment.objects.filter(
            commitment=commitment,
            party=record["party"],
            round=round_,
            score=score,
            rationale=rationale,
            assessed_on=assessed_on,
        ).exists()
        if already:
            counts["assessments unchanged"] += 1
            continue
        try:
            assessment = services.assessment_create(
                commitment=commitment,
                round=round_,
                party=record["party"],
                score=score,
                rationale=rationale,
                evidence="\n".join(record.get("evidence") or []),
                assessor=_person(record, "assessor", users, author),
                assessed_on=assessed_on,
            )
        except ValidationError as exc:
            raise _refused(where, exc) from exc
        # The same assessment twice in one file is recorded once (the service's double-click guard).
        counts["assessments unchanged" if assessment.already_recorded else "assessments created"] += 1


@contextmanager
def _history_user(user):
    """Record `user` as the history user of every write made meanwhile, as the history middleware
    does for a request: the loader's writes are attributable like those made on a page."""
    if user is None:
        yield
        return
    missing = object()
    before = getattr(HistoricalRecords.context, "request", missing)
    HistoricalRecords.context.request = SimpleNamespace(user=user)
    try:
        yield
    finally:
        if before is missing:
            del HistoricalRecords.context.request
        else:
            HistoricalRecords.context.request = before


@transaction.atomic
def dialogue_load(*, data: dict, author=None) -> Counter:
    """Check and load one dialogue file's data; return what was created, updated or left alone.

    `author` (load_dialogue --author) is the history user of every write and the author or assessor
    of the updates and assessments that name none; a file with such records needs one.
    """
    check_dialogue_data(data, author=author)
    counts: Counter = Counter()
    with _history_user(author):
        dialogue, source = _load_dialogue_and_source(data, counts)
        _load_documents(data, source, counts)
        _load_themes(data, dialogue, counts)
        _load_agencies(data, counts)
        _load_rounds(data, dialogue, counts)
        _load_commitments(data, dialogue, source, counts)
        _load_blockers(data, dialogue, author, counts)
        _load_updates(data, dialogue, author, counts)
        _load_assessments(data, dialogue, author, counts)
    return counts
