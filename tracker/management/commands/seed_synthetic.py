"""A deterministic synthetic dataset for the benchmark: many dialogues (each with its own themes
and four rounds), agencies, commitments, a skewed trail of updates (slips with their reasons), a
few hundred dependencies and an assessment of every party on every commitment at each round,
written with bulk inserts."""

import datetime
import random
import time
from contextlib import contextmanager

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, connections, router, transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from tracker import counts as maintained_counts
from tracker.caching import data_changed
from tracker.models import (
    Agency,
    Assessment,
    Commitment,
    Dialogue,
    Participation,
    Role,
    Round,
    SlipReason,
    Status,
    StatusUpdate,
    Theme,
    ThemeKind,
)
from tracker.rules import SLIP_STATUSES

PREFIX = "synthetic-"  # every slug this command writes starts with it: how it tells its data from real data
COUNTRIES = ["US", "FR", "GB", "DE", "JP", "IN", "BR", "CA", "AU", "KR"]
WORDS = (
    "climate data exchange satellite launch debris norms security education research station lunar "
    "orbit spectrum weather ocean agriculture disaster navigation commercial licensing workforce"
).split()
# How often each status is the latest one: most commitments are moving, a few are in trouble.
STATUS_WEIGHTS = {
    Status.NOT_STARTED: 8,
    Status.ON_TRACK: 45,
    Status.AT_RISK: 15,
    Status.OFF_TRACK: 8,
    Status.COMPLETED: 20,
    Status.DISCONTINUED: 4,
}
ROUNDS_PER_DIALOGUE = 4
# How each party scored at a round, by the commitment's latest status: (+1, 0, -1) weights. Scores
# follow how the commitment is going, so the scorecard's averages differ from dialogue to dialogue.
SCORE_WEIGHTS = {
    Status.NOT_STARTED: (1, 3, 6),
    Status.ON_TRACK: (4, 5, 1),
    Status.AT_RISK: (1, 4, 5),
    Status.OFF_TRACK: (1, 2, 7),
    Status.COMPLETED: (7, 2, 1),
    Status.DISCONTINUED: (0, 2, 8),
}
NO_EVIDENCE_SHARE = 0.07  # "no evidence available": its own answer, never a zero
UNASSESSED_SHARE = 0.02  # cells nobody has assessed yet
CORRECTED_SHARE = 0.01  # cells assessed twice: the later one counts
DEPENDENCY_SHARE = 1 / 30  # a few hundred "blocked by" links at 10,000 commitments
BATCH = 10_000  # rows a statement when inserting rows as tuples (insert_rows)


# --- writing a million rows ------------------------------------------------------------------------
# At 100,000 commitments the command writes about 2.5 million rows. Django's bulk_create builds a
# model instance for each and prepares each of its values one by one, and the history library builds
# a second instance per row for its history: most of the command's time. The big tables are written
# here from plain tuples instead, and their history copied by the database (INSERT … SELECT): the
# same rows, as the library would write them, but one timestamp for the whole batch.


def _connection(model):
    return connections[router.db_for_write(model)]


def last_id(model) -> int:
    """The highest id in `model`'s table (0 when empty): the rows inserted next come after it."""
    with _connection(model).cursor() as cursor:
        cursor.execute(f"SELECT MAX(id) FROM {_connection(model).ops.quote_name(model._meta.db_table)}")  # noqa: S608 - a model's table
        return cursor.fetchone()[0] or 0


def insert_rows(model, columns: list[str], rows: list[tuple]) -> None:
    """`rows` (tuples of values ready for the database, in `columns`' order) inserted into `model`'s
    table, BATCH a statement, with no model instance made."""
    connection = _connection(model)
    quote = connection.ops.quote_name
    sql = (
        f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(map(quote, columns))}) "  # noqa: S608 - model names
        f"VALUES ({', '.join(['%s'] * len(columns))})"
    )
    with connection.cursor() as cursor:
        for start in range(0, len(rows), BATCH):
            cursor.executemany(sql, rows[start : start + BATCH])


def copy_history(model, after_id: int) -> None:
    """A "created" history row for every row of `model` with an id above `after_id`, copied by the
    database: what simple_history's bulk_history_create writes (no user, no reason), in one
    statement."""
    history = model.history.model
    connection = _connection(model)
    quote = connection.ops.quote_name
    tracked = [field.name for field in history.tracked_fields]
    source = [quote(model._meta.get_field(name).column) for name in tracked]
    target = [quote(history._meta.get_field(name).column) for name in tracked]
    target += [
        quote(history._meta.get_field(name).column)
        for name in ("history_date", "history_type", "history_change_reason", "history_user")
    ]
    sql = (
        f"INSERT INTO {quote(history._meta.db_table)} ({', '.join(target)}) "  # noqa: S608 - model names
        f"SELECT {', '.join(source)}, %s, '+', NULL, NULL FROM {quote(model._meta.db_table)} WHERE id > %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [connection.ops.adapt_datetimefield_value(timezone.now()), after_id])


def bulk_create_copying_history(objs, model, batch_size):
    """bulk_create_with_history, its history rows copied by the database (copy_history)."""
    after = last_id(model)
    created = model.objects.bulk_create(objs, batch_size=batch_size)
    copy_history(model, after)
    return created


@contextmanager
def counted_once_at_the_end():
    """The maintained counts' triggers (tracker/counts.py) off while the data is written, then back,
    the counts filled by one recount: what migration 0019 does, and equal to what the triggers would
    have kept (tests/test_counts.py holds both to a recount). Row by row, the triggers cost about a
    third of the command's time at 100,000 commitments (700,000 rows of commitments and links). In
    the caller's transaction: nobody sees the data without its counts, and on PostgreSQL dropping a
    trigger locks out other writers until then."""
    postgresql = connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        for statement in maintained_counts.uninstall_statements(postgresql):
            cursor.execute(statement)
    yield
    with connection.cursor() as cursor:
        for statement in maintained_counts.install_statements(postgresql):
            cursor.execute(statement)


class Command(BaseCommand):
    help = "Fill the database with a deterministic synthetic dataset (for benchmarks and demos)."

    def add_arguments(self, parser):
        parser.add_argument("--commitments", type=int, default=10_000)
        parser.add_argument("--updates", type=int, default=100_000)
        parser.add_argument("--agencies", type=int, default=200)
        parser.add_argument(
            "--themes",
            type=int,
            default=6,
            help="themes per dialogue, its governance theme included (default: %(default)s, as the "
            "U.S.-France dialogue: five objectives and its governance)",
        )
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--allow-real-data",
            action="store_true",
            help="add synthetic records even though the database holds real (non-synthetic) ones",
        )

    def handle(self, *args, commitments, updates, agencies, themes, seed, allow_real_data, **options):
        if min(commitments, agencies, themes) < 1 or updates < 0:
            raise CommandError(
                "--commitments, --agencies and --themes must be at least 1, --updates at least 0."
            )
        if Dialogue.objects.filter(slug__startswith=PREFIX).exists():
            raise CommandError("Synthetic data is already loaded; use a fresh database.")
        if Dialogue.objects.exclude(slug__startswith=PREFIX).exists() and not allow_real_data:
            raise CommandError(
                "This database holds real dialogues. Refusing to mix synthetic records into it; "
                "use a fresh database, or pass --allow-real-data if you really mean to."
            )
        started = time.perf_counter()
        with transaction.atomic(), counted_once_at_the_end():
            rng = random.Random(seed)  # noqa: S311 -- reproducible test data, not secrets
            counts = SyntheticData(rng, timezone.localdate()).write(
                commitments=commitments, updates=updates, agencies=agencies, themes=themes
            )
            data_changed()  # bulk inserts send no signals: retire every cached page ourselves
        elapsed = time.perf_counter() - started
        summary = ", ".join(f"{n} {what}" for what, n in counts.items())
        self.stdout.write(self.style.SUCCESS(f"Synthetic data (seed {seed}) in {elapsed:.1f}s: {summary}"))


class SyntheticData:
    def __init__(self, rng: random.Random, today: datetime.date):
        self.rng = rng
        self.today = today

    def title(self):
        return " ".join(self.rng.choice(WORDS) for _ in range(4)).capitalize()

    def write(self, *, commitments, updates, agencies, themes):
        users = get_user_model().objects
        author, _ = users.get_or_create(username=f"{PREFIX}reporter")
        assessor, _ = users.get_or_create(username=f"{PREFIX}assessor")
        # About 500 commitments a dialogue: the size the scorecard's budget is set for.
        dialogues = self.dialogues(max(1, commitments // 500))
        themes_of = self.themes(dialogues, themes)
        rounds_of = self.rounds(dialogues)
        agency_rows = self.agencies(agencies)
        commitment_rows = self.commitments(commitments, dialogues)
        # The trail is planned before the commitments are saved, so each is inserted with the state
        # of its latest update already set (no second pass updating 10,000 rows).
        update_rows = self.updates(commitment_rows, updates)
        commitment_rows = bulk_create_copying_history(commitment_rows, Commitment, batch_size=1000)
        update_count = self.insert_updates(update_rows, commitment_rows, author)
        links = self.themes_and_agencies(commitment_rows, themes_of, agency_rows)
        return {
            "dialogues": len(dialogues),
            "themes": sum(len(rows) for rows in themes_of.values()),
            "rounds": sum(len(rows) for rows in rounds_of.values()),
            "agencies": len(agency_rows),
            "commitments": len(commitment_rows),
            **links,
            "status updates": update_count,
            "dependencies": self.dependencies(commitment_rows),
            "assessments": self.assessments(commitment_rows, dialogues, rounds_of, assessor),
        }

    def dialogues(self, n):
        rows = [
            Dialogue(
                name=f"Synthetic dialogue {i + 1}",
                slug=f"{PREFIX}dialogue-{i + 1}",
                parties=",".join(self.rng.sample(COUNTRIES, 2)),
                announced_on=self.today - datetime.timedelta(days=self.rng.randint(200, 2000)),
            )
            for i in range(n)
        ]
        return bulk_create_with_history(rows, Dialogue)

    def themes(self, dialogues, per_dialogue):
        """Each dialogue's own themes: its objectives, and (given two or more) its governance last."""
        rows = []
        for d, dialogue in enumerate(dialogues, start=1):
            for i in range(per_dialogue):
                governance = per_dialogue > 1 and i == per_dialogue - 1
                rows.append(
                    Theme(
                        dialogue=dialogue,
                        kind=ThemeKind.GOVERNANCE if governance else ThemeKind.OBJECTIVE,
                        name="Dialogue governance" if governance else f"Synthetic theme {i + 1}",
                        slug=f"{PREFIX}d{d}-theme-{i + 1}",
                        order=i,
                    )
                )
        themes_of: dict[int, list[Theme]] = {}
        for theme in bulk_create_with_history(rows, Theme):
            themes_of.setdefault(theme.dialogue_id, []).append(theme)
        return themes_of

    def rounds(self, dialogues):
        """Four rounds a dialogue, spread evenly from when all its commitments were announced (60
        days after the dialogue) to a week ago."""
        rows = []
        for dialogue in dialogues:
            first = dialogue.announced_on + datetime.timedelta(days=61)
            span = (self.today - datetime.timedelta(days=7) - first).days
            for number in range(1, ROUNDS_PER_DIALOGUE + 1):
                rows.append(
                    Round(
                        dialogue=dialogue,
                        number=number,
                        held_on=first + datetime.timedelta(days=span * number // ROUNDS_PER_DIALOGUE),
                        place=self.rng.choice(["Paris", "Washington", "Tokyo", "Berlin", "Ottawa"]),
                        title=f"Round {number}",
                    )
                )
        rounds_of: dict[int, list[Round]] = {}
        for round_ in bulk_create_with_history(rows, Round):
            rounds_of.setdefault(round_.dialogue_id, []).append(round_)
        return rounds_of

    def agencies(self, n):
        rows = [
            Agency(
                name=f"Synthetic agency {i + 1}",
                acronym=f"SA{i + 1}",
                slug=f"{PREFIX}agency-{i + 1}",
                country=COUNTRIES[i % len(COUNTRIES)],
                named_in_source=self.rng.random() < 0.7,
            )
            for i in range(n)
        ]
        return bulk_create_with_history(rows, Agency, batch_size=500)

    def commitments(self, n, dialogues):
        rows = []
        for i in range(n):
            dialogue = dialogues[i % len(dialogues)]
            announced = dialogue.announced_on + datetime.timedelta(days=self.rng.randint(0, 60))
            due = None
            if self.rng.random() < 0.7:  # most have a due date, past or future
                due = announced + datetime.timedelta(days=self.rng.randint(90, 1800))
            rows.append(
                Commitment(
                    dialogue=dialogue,
                    slug=f"c{i + 1}",
                    title=self.title(),
                    description=self.title() + ".",
                    announced_on=announced,
                    due_on=due,
                    quote=f"we will {self.title().lower()}",
                )
            )
        return rows

    def themes_and_agencies(self, commitments, themes_of, agencies):
        theme_links, participations = [], []
        for c in commitments:
            themes = themes_of[c.dialogue_id]
            for theme in self.rng.sample(themes, min(len(themes), self.rng.randint(1, 4))):
                theme_links.append((c.pk, theme.pk))
            chosen = self.rng.sample(agencies, min(len(agencies), self.rng.randint(1, 6)))
            for index, agency in enumerate(chosen):
                role = Role.LEAD if index == 0 else Role.PARTNER
                participations.append((c.pk, agency.pk, role.value, agency.country))
        insert_rows(Commitment.themes.through, ["commitment_id", "theme_id"], theme_links)
        after = last_id(Participation)
        insert_rows(Participation, ["commitment_id", "agency_id", "role", "country"], participations)
        copy_history(Participation, after)
        return {"theme links": len(theme_links), "participations": len(participations)}

    def updates(self, commitments, total):
        """Spread `total` updates with a long tail (a few commitments get many) over the commitments
        (not saved yet), and set each commitment's current state from its latest update, as the
        update service would. Returns the updates as (the commitment's place in `commitments`,
        reported_on, status, progress, text, reason, reason note), to insert once the commitments
        are (insert_updates)."""
        weights = [self.rng.paretovariate(1.2) for _ in commitments]
        scale = total / sum(weights)
        per_commitment = [int(w * scale) for w in weights]
        for i in self.rng.sample(range(len(commitments)), total - sum(per_commitment)):
            per_commitment[i] += 1  # make the total exact
        statuses, status_weights = list(STATUS_WEIGHTS), list(STATUS_WEIGHTS.values())
        rows = []
        for place, (commitment, n) in enumerate(zip(commitments, per_commitment, strict=True)):
            if n == 0:
                continue
            # A share go quiet: their latest update is long ago, so they show as stale.
            last = self.today - datetime.timedelta(
                days=self.rng.choice([self.rng.randint(0, 80), self.rng.randint(91, 700)])
            )
            span = max(1, (last - commitment.announced_on).days)
            progress = 0
            for k in range(n):
                reported = commitment.announced_on + datetime.timedelta(days=span * (k + 1) // n)
                progress = min(100, progress + self.rng.randint(0, 10))
                status = self.rng.choices(statuses, status_weights)[0]
                text = self.title() + "."  # drawn before the reason, as ever: the same data for a seed
                reason, note = self.slip_reason(status)
                shown = 100 if status == Status.COMPLETED else progress
                rows.append((place, reported, status.value, shown, text, reason, note))
            _place, reported, status, shown, _text, reason, _note = rows[-1]
            commitment.status, commitment.progress, commitment.last_update_on, commitment.slip_reason = (
                status,
                shown,
                reported,
                reason,
            )
        return rows

    def insert_updates(self, planned, commitments, author) -> int:
        """The updates `updates` planned, inserted for the commitments now saved, with their history
        (insert_rows, copy_history)."""
        ops = _connection(StatusUpdate).ops
        created_at = ops.adapt_datetimefield_value(timezone.now())
        rows = [
            (commitments[place].pk, author.pk, ops.adapt_datefield_value(day), status, progress, text)
            + (reason, note, "", created_at, None, None, "")
            for place, day, status, progress, text, reason, note in planned
        ]
        columns = ["commitment_id", "author_id", "reported_on", "status", "progress", "text"]
        columns += ["reason", "reason_note", "evidence_url", "created_at", "withdrawn_at", "withdrawn_by_id"]
        columns += ["withdrawal_reason"]
        after = last_id(StatusUpdate)
        insert_rows(StatusUpdate, columns, rows)
        copy_history(StatusUpdate, after)
        return len(rows)

    def slip_reason(self, status) -> tuple[str, str]:
        """(reason, note) for an update that slips, as rules.slip_reason_problems asks ("other" with a
        note); ("", "") for one that does not."""
        if status not in SLIP_STATUSES:
            return "", ""
        reason = self.rng.choice(SlipReason.values)
        note = "Synthetic: " + self.title().lower() if reason == SlipReason.OTHER else ""
        return reason, note

    def dependencies(self, commitments):
        """A few hundred "blocked by" links, each within one dialogue and to a commitment made
        earlier (a lower id): a dependency can then never come back round to itself."""
        by_dialogue: dict[int, list[Commitment]] = {}
        for c in commitments:
            by_dialogue.setdefault(c.dialogue_id, []).append(c)
        candidates = [group for group in by_dialogue.values() if len(group) > 1]
        if not candidates:
            return 0
        through = Commitment.blocked_by.through
        pairs: set[tuple[int, int]] = set()
        for _ in range(max(1, int(len(commitments) * DEPENDENCY_SHARE))):
            group = self.rng.choice(candidates)
            k = self.rng.randrange(1, len(group))
            pairs.add((group[k].pk, group[self.rng.randrange(k)].pk))
        through.objects.bulk_create(
            [
                through(from_commitment_id=blocked, to_commitment_id=blocker)
                for blocked, blocker in sorted(pairs)
            ]
        )
        return len(pairs)

    def assessments(self, commitments, dialogues, rounds_of, assessor):
        """Every party on every commitment at each round, scored as its commitment is going; some
        "no evidence", a few cells left unassessed, a few assessed twice (a correction).

        Bulk-inserted without history rows: the history records who changed real data, and the
        synthetic assessments were never changed by anyone; it would double the time and the size.
        """
        parties_of = {d.pk: d.party_codes for d in dialogues}
        ops = _connection(Assessment).ops
        created_at = ops.adapt_datetimefield_value(timezone.now())
        held_on = {r.pk: ops.adapt_datefield_value(r.held_on) for rows in rounds_of.values() for r in rows}
        scores = [1, 0, -1]
        rows = []
        for c in commitments:
            weights = SCORE_WEIGHTS[c.status]
            for round_ in rounds_of[c.dialogue_id]:
                for party in parties_of[c.dialogue_id]:
                    draw = self.rng.random()
                    if draw < UNASSESSED_SHARE:
                        continue
                    times = 2 if draw > 1 - CORRECTED_SHARE else 1
                    for _ in range(times):
                        no_evidence = self.rng.random() < NO_EVIDENCE_SHARE
                        score = None if no_evidence else self.rng.choices(scores, weights)[0]
                        rationale = self.title() + "."
                        evidence = "" if no_evidence else f"https://example.org/{PREFIX}{c.pk}"
                        rows.append(
                            (c.pk, round_.pk, party, score, rationale, evidence, assessor.pk)
                            + (held_on[round_.pk], created_at)
                        )
        columns = ["commitment_id", "round_id", "party", "score", "rationale", "evidence", "assessor_id"]
        insert_rows(Assessment, [*columns, "assessed_on", "created_at"], rows)
        return len(rows)
