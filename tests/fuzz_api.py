#!/usr/bin/env python
"""Schemathesis over every endpoint of the JSON API, as CI runs it (`make fuzz-api`).

Builds a throwaway SQLite database (the seed dialogue plus a small synthetic one, so every list has
rows and every filter matches something), an editor with a read-and-post token, starts gunicorn on
127.0.0.1 with production settings (DEBUG off: Django's debug 404 page is HTML, the production
handlers answer problem details), and runs `schemathesis run` on /api/v1/schema/ with the token.

The checks (see CHECKS): no server error; every status code, content type, header and body as the
schema documents them; invalid data refused. Left out, and why:
- positive_data_acceptance: the post's rules that span fields (a reason only when the status slips,
  no date in the future) cannot be written in OpenAPI 3.0, so a request valid by the schema can be
  rightly refused with a 400 naming the field.

Exits non-zero when Schemathesis finds anything. Its summary is printed and kept in
test-artifacts/schemathesis.txt. Not collected by pytest (its name does not start with test_).
"""

import datetime
import os
import re
import secrets
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CHECKS = [
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
    "negative_data_rejection",
    "missing_required_header",
    "unsupported_method",
    "ignored_auth",
]
MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", 60))
ARTIFACT = ROOT / "test-artifacts" / "schemathesis.txt"


def production_like_environment(workdir: Path) -> None:
    """Settings for the server and for this process (which builds its database)."""
    os.environ.pop("DATABASE_URL", None)  # always a throwaway SQLite file, even in CI's PostgreSQL phase
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
            "DJANGO_SECURE_SSL_REDIRECT": "0",
            "DJANGO_SECURE_COOKIES": "0",
            "DJANGO_HSTS_SECONDS": "0",
            "WHITENOISE_USE_FINDERS": "1",
            "SQLITE_PATH": str(workdir / "fuzz.sqlite3"),
            "TRACKER_CACHE_DIR": str(workdir / "cache"),
            "TRACKER_EVIDENCE_DIR": str(workdir / "evidence"),
            # The fuzzer sends thousands of requests a minute; the throttle itself has its own tests.
            "TRACKER_API_RATE": "1000000/minute",
            "DJANGO_LOG_LEVEL": "ERROR",
        }
    )


def build_database() -> str:
    """Migrate, load the data, and return a read-and-post token of an editor."""
    import django

    django.setup()
    from django.contrib.auth.models import Group, User
    from django.core.management import call_command

    from tracker.models import TokenScope
    from tracker.services.api_tokens import api_token_create

    call_command("migrate", verbosity=0)
    call_command("load_dialogue", verbosity=0)
    call_command(
        "seed_synthetic", commitments=200, updates=1000, agencies=20, allow_real_data=True, verbosity=0
    )
    editor = User.objects.create_user("fuzz-editor", password=secrets.token_urlsafe(16))
    editor.groups.add(Group.objects.get(name="Editors"))
    expires = datetime.date.today() + datetime.timedelta(days=2)
    _token, text = api_token_create(user=editor, name="fuzz", scope=TokenScope.READ_POST, expires_on=expires)
    return text


def run_schemathesis(port: int, token: str) -> int:
    command = [
        str(Path(sys.executable).with_name("schemathesis")),
        "run",
        f"http://127.0.0.1:{port}/api/v1/schema/",
        "--header",
        f"Authorization: Bearer {token}",
        "--checks",
        ",".join(CHECKS),
        "--max-examples",
        str(MAX_EXAMPLES),
        "--seed",
        os.environ.get("FUZZ_SEED", "1"),
        # One worker: with two threads, Python 3.11's parser can fail inside Hypothesis
        # ("AST constructor recursion depth mismatch"), an error of the tool, not of the API.
        "--workers",
        "1",
        "--no-color",
    ]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)  # noqa: S603 -- fixed command
    output = (result.stdout + result.stderr).replace(token, "<token>")
    ARTIFACT.parent.mkdir(exist_ok=True)
    ARTIFACT.write_text(output)
    print(report_for_ci(output, result.returncode))
    return result.returncode


def report_for_ci(output: str, returncode: int) -> str:
    """What CI's log shows: the whole report when something failed, else its summary.

    Schemathesis closes with a pytest-like line ("=== 1 warning in 25.83s ===") that names no test:
    printed last in CI's log, it reads as a run that executed none. So a passing run prints its
    SUMMARY section and a plain closing line with the case counts; the full report is in ARTIFACT.
    """
    counts = re.search(r"Test cases:\s*(\d+) generated, (\d+) passed(?:, (\d+) failed)?", output)
    if returncode != 0 or counts is None:
        return output
    summary = output[output.rfind("\n", 0, output.find(" SUMMARY ")) + 1 :].splitlines()
    kept = [line for line in summary if not re.match(r"^=+ .* in [\d.]+s =+$", line.strip())]
    passed, failed = int(counts[2]), int(counts[3] or 0)
    return "\n".join(
        [
            *kept,
            f"(full report: {ARTIFACT.relative_to(ROOT)})",
            f"Schemathesis: {passed} passed, {failed} failed",
        ]
    )


def main() -> int:
    from bench.load import free_port, start_gunicorn

    with tempfile.TemporaryDirectory(prefix="tracker-fuzz-") as folder:
        workdir = Path(folder)
        production_like_environment(workdir)
        token = build_database()
        port = free_port()
        server = start_gunicorn(port, workdir)
        try:
            return run_schemathesis(port, token)
        finally:
            server.terminate()
            server.wait(timeout=10)


if __name__ == "__main__":
    sys.exit(main())
