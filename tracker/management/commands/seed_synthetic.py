"""A deterministic synthetic dataset for the benchmark: many dialogues, themes, agencies,
commitments and a skewed trail of updates, written with bulk inserts."""

import datetime
import random
import time

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from tracker.caching import data_changed
from tracker.models import Agency, Commitment, Dialogue, Participation, Role, Status, StatusUpdate, Theme

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


class Command(BaseCommand):
    help = "Fill the database with a deterministic synthetic dataset (for benchmarks and demos)."

    def add_arguments(self, parser):
        parser.add_argument("--commitments", type=int, default=10_000)
        parser.add_argument("--updates", type=int, default=100_000)
        parser.add_argument("--agencies", type=int, default=200)
        parser.add_argument("--themes", type=int, default=12)
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
        with transaction.atomic():
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
        author, _ = get_user_model().objects.get_or_create(username=f"{PREFIX}reporter")
        dialogues = self.dialogues(max(1, commitments // 500))
        theme_rows = self.themes(themes)
        agency_rows = self.agencies(agencies)
        commitment_rows = self.commitments(commitments, dialogues)
        links = self.themes_and_agencies(commitment_rows, theme_rows, agency_rows)
        update_count = self.updates(commitment_rows, updates, author)
        return {
            "dialogues": len(dialogues),
            "themes": len(theme_rows),
            "agencies": len(agency_rows),
            "commitments": len(commitment_rows),
            **links,
            "status updates": update_count,
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

    def themes(self, n):
        rows = [
            Theme(name=f"Synthetic theme {i + 1}", slug=f"{PREFIX}theme-{i + 1}", order=i) for i in range(n)
        ]
        return bulk_create_with_history(rows, Theme)

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
        return bulk_create_with_history(rows, Commitment, batch_size=1000)

    def themes_and_agencies(self, commitments, themes, agencies):
        through = Commitment.themes.through
        theme_links, participations = [], []
        for c in commitments:
            for theme in self.rng.sample(themes, min(len(themes), self.rng.randint(1, 4))):
                theme_links.append(through(commitment_id=c.pk, theme_id=theme.pk))
            chosen = self.rng.sample(agencies, min(len(agencies), self.rng.randint(1, 6)))
            for index, agency in enumerate(chosen):
                role = Role.LEAD if index == 0 else Role.PARTNER
                participations.append(
                    Participation(commitment_id=c.pk, agency_id=agency.pk, role=role, country=agency.country)
                )
        through.objects.bulk_create(theme_links, batch_size=2000)
        bulk_create_with_history(participations, Participation, batch_size=2000)
        return {"theme links": len(theme_links), "participations": len(participations)}

    def updates(self, commitments, total, author):
        """Spread `total` updates with a long tail (a few commitments get many), then set each
        commitment's current status from its latest one, as the update service would."""
        weights = [self.rng.paretovariate(1.2) for _ in commitments]
        scale = total / sum(weights)
        per_commitment = [int(w * scale) for w in weights]
        for i in self.rng.sample(range(len(commitments)), total - sum(per_commitment)):
            per_commitment[i] += 1  # make the total exact
        statuses, status_weights = list(STATUS_WEIGHTS), list(STATUS_WEIGHTS.values())
        rows, current = [], []
        for commitment, n in zip(commitments, per_commitment, strict=True):
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
                rows.append(
                    StatusUpdate(
                        commitment_id=commitment.pk,
                        author=author,
                        reported_on=reported,
                        status=status,
                        progress=100 if status == Status.COMPLETED else progress,
                        text=self.title() + ".",
                    )
                )
            latest = rows[-1]
            commitment.status, commitment.progress, commitment.last_update_on = (
                latest.status,
                latest.progress,
                latest.reported_on,
            )
            current.append(commitment)
        bulk_create_with_history(rows, StatusUpdate, batch_size=5000)
        Commitment.objects.bulk_update(current, ["status", "progress", "last_update_on"], batch_size=1000)
        return len(rows)
