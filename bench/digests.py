#!/usr/bin/env python
"""The weekly digest at size: `send_digests` for 1,000 readers following 10 things each (a
dialogue, two objectives, three agencies and four commitments) over the benchmark's synthetic
dataset (10,000 commitments, 100,000 updates), sent to Django's in-memory (locmem) backend.

    .venv/bin/python bench/digests.py                    # SQLite in a temporary folder
    .venv/bin/python bench/digests.py --users 100 --commitments 2000 --updates 20000
    DATABASE_URL=postgresql:///bench .venv/bin/python bench/digests.py   # its tables are dropped first

Budget (issue 14): <= 60 s for the whole run, and a fixed number of queries per reader. Prints the
time, the queries (in all, and per reader beyond the run's fixed ones), the emails' size and the
memory: the process's peak, and what the run itself allocated at its peak (tracemalloc, in a second,
smaller run, since tracing slows Python down).
"""

import argparse
import random
import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.run import build_dataset, production_like_environment  # noqa: E402

BUDGET_S = 60
FOLLOWS = {"dialogue": 1, "theme": 2, "agency": 3, "commitment": 4}


def recorded_when_reported():
    """seed_synthetic records every update "now"; a real trail's updates were recorded about when
    they were reported, and the digest's "new updates this week" reads when they were recorded."""
    from django.db import connection

    expression = {
        "sqlite": "reported_on || ' 12:00:00'",
        "postgresql": "reported_on + time '12:00'",
    }[connection.vendor]
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE tracker_statusupdate SET created_at = {expression}")  # noqa: S608 - fixed text


def readers(n: int, seed: int):
    """`n` readers, each following FOLLOWS' mix of things, chosen at random (reproducibly)."""
    from django.contrib.auth.models import User

    from tracker.models import Agency, Commitment, Dialogue, Follow, Theme

    rng = random.Random(seed)  # noqa: S311 - reproducible test data
    pools = {
        "dialogue": list(Dialogue.objects.values_list("pk", flat=True)),
        "theme": list(Theme.objects.values_list("pk", flat=True)),
        "agency": list(Agency.objects.values_list("pk", flat=True)),
        "commitment": list(Commitment.objects.values_list("pk", flat=True)),
    }
    users = User.objects.bulk_create(
        User(
            username=f"bench-reader-{i}",
            email=f"reader{i}@example.org",
            first_name="Reader",
            last_name=str(i),
        )
        for i in range(n)
    )
    follows = [
        Follow(user=user, **{f"{kind}_id": pk})
        for user in users
        for kind, how_many in FOLLOWS.items()
        for pk in rng.sample(pools[kind], min(how_many, len(pools[kind])))
    ]
    Follow.objects.bulk_create(follows, batch_size=5000)
    return users, len(follows)


def send(traced: bool = False):
    """One run of digests_send to a fresh locmem outbox: (seconds, queries, run, outbox)."""
    from django.core import mail
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tracker.services.digests import digests_send

    mail.outbox = []
    backend = mail.get_connection("django.core.mail.backends.locmem.EmailBackend")
    if traced:
        tracemalloc.start()
    started, cpu = time.perf_counter(), time.process_time()
    with CaptureQueriesContext(connection) as captured:
        run = digests_send(connection=backend)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    peak = tracemalloc.get_traced_memory()[1] if traced else None
    if traced:
        tracemalloc.stop()
    return (seconds, cpu), len(captured), run, list(mail.outbox), peak


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--commitments", type=int, default=10_000)
    parser.add_argument("--updates", type=int, default=100_000)
    parser.add_argument("--agencies", type=int, default=200)
    parser.add_argument("--themes", type=int, default=6, help="themes per dialogue")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tracker-digest-bench-") as workdir:
        production_like_environment(Path(workdir))
        import django

        django.setup()
        from tracker.models import DigestSent

        build_dataset(args)
        recorded_when_reported()
        users, follows = readers(args.users, args.seed)

        (seconds, cpu), queries, run, outbox, _peak = send()
        sent, quiet = len(run.sent), run.nothing_to_report
        # What the run should cost: 5 queries for everyone (the readers, the week's candidates, its
        # updates, the states a week ago, the dialogues), then per reader one SELECT of what they
        # follow, and for each digest sent its claim (INSERT, in its own transaction: SQLite's
        # BEGIN and COMMIT are statements too) and its result (UPDATE).
        from django.db import connection

        per_digest = 5 if connection.vendor == "sqlite" else 3
        expected = 5 + sent * per_digest + quiet * 1

        # Memory: the same run traced, for a tenth of the readers (tracing slows Python down).
        from django.contrib.auth.models import User

        DigestSent.objects.all().delete()
        User.objects.filter(pk__in=[u.pk for u in users[len(users) // 10 :]]).update(is_active=False)
        _s, _q, traced_run, _o, peak = send(traced=True)
        week = run.week

    sizes = [len(m.body) + sum(len(part) for part, _type in m.alternatives) for m in outbox]
    print(f"digests of {week}")
    print("| case | time (CPU) | queries (expected) | emails | budget |\n|---|---|---|---|---|")
    print(
        f"| {args.users:,} readers × {follows // max(args.users, 1)} follows, {args.commitments:,} commitments "
        f"| {seconds:.1f} s ({cpu:.1f} s) | {queries:,} ({expected:,}: 5 + {per_digest} per digest sent + 1 per "
        "reader with no news) "
        f"| {sent:,} sent, {quiet:,} with nothing to report | {BUDGET_S} s |"
    )
    if sizes:
        print(
            f"\nemails: mean {sum(sizes) / len(sizes) / 1024:.0f} KiB (text + HTML), largest "
            f"{max(sizes) / 1024:.0f} KiB"
        )
    print(
        f"peak memory of the process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB "
        "(the dataset's build included; the locmem outbox keeps every email)"
    )
    print(
        f"allocated by the run at its peak (tracemalloc, {len(traced_run.sent)} readers, outbox included): "
        f"{peak / 1024 / 1024:.1f} MiB"
    )
    if queries != expected:
        raise SystemExit(f"queries: {queries} made, {expected} expected")
    if seconds > BUDGET_S:
        raise SystemExit(f"over budget: {seconds:.1f} s > {BUDGET_S} s")


if __name__ == "__main__":
    main()
