#!/usr/bin/env python
"""Soak: gunicorn (2 workers) on 127.0.0.1 under mixed reads and writes for a fixed time, then check
that nothing was lost: the updates in the database equal the posts that succeeded, with 0 errors.

    .venv/bin/python bench/soak.py [--seconds 60] [--clients 6]

Bounded in time and in count (--max-requests); it stops by itself and exits non-zero on a loss.
"""

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.load import RequestMix, drive, free_port, login_cookie, start_gunicorn, summary  # noqa: E402
from bench.run import production_like_environment  # noqa: E402


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--clients", type=int, default=6)
    parser.add_argument("--max-requests", type=int, default=50_000)
    parser.add_argument("--post-share", type=float, default=0.3)
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="tracker-soak-"))
    production_like_environment(workdir)
    import django

    django.setup()
    from django.contrib.auth.models import Group, User
    from django.core.management import call_command

    from tracker.models import StatusUpdate

    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    call_command("load_dialogue", verbosity=0)
    editor = User.objects.create_user("bench-editor", is_staff=True)
    editor.groups.add(Group.objects.get(name="Editors"))
    before = StatusUpdate.objects.count()
    mix = RequestMix(seed=7, post_share=args.post_share)
    session = login_cookie("bench-editor")
    deadline = time.monotonic() + args.seconds

    def requests():
        for _ in range(args.max_requests):
            if time.monotonic() >= deadline:
                return
            yield mix.mixed_request()

    port = free_port()
    print(f"Soak: {args.seconds:.0f} s, {args.clients} clients, gunicorn 2 workers on 127.0.0.1:{port}")
    server = start_gunicorn(port, workdir)
    try:
        result = summary("mixed reads and writes", *drive(port, requests(), args.clients, session))
    finally:
        server.terminate()
        server.wait(timeout=10)
    saved = StatusUpdate.objects.count() - before
    print(
        f"successful posts {result['successful_posts']}, updates saved {saved}, server errors {result['errors']}"
    )
    if saved != result["successful_posts"] or result["errors"]:
        print(
            "FAILED: " + "; ".join(result["error_examples"]) if result["errors"] else "FAILED: count mismatch"
        )
        sys.exit(1)
    print("OK: every successful post is in the database, and there were no errors.")


if __name__ == "__main__":
    main()
