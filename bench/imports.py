#!/usr/bin/env python
"""Spreadsheet imports through the admin at 10,000 rows: preview and confirmed import of 10,000
commitments (each with two themes, a lead and a partner agency) and then of 10,000 status updates,
from XLSX, on a fresh database, with the peak memory of the process.

    .venv/bin/python bench/imports.py            # 10,000 rows, SQLite in a temporary folder
    .venv/bin/python bench/imports.py --rows 2000

Budgets (issue 12): preview <= 60 s and import <= 60 s for the commitments, import <= 60 s for the
updates. Requests go through Django's test client, so every middleware and the preview page's
rendering are counted.
"""

import argparse
import datetime
import io
import re
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.run import production_like_environment  # noqa: E402

BUDGET_S = 60


def workbook(rows) -> bytes:
    import openpyxl

    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("Sheet")
    for row in rows:
        sheet.append(row)
    data = io.BytesIO()
    book.save(data)
    return data.getvalue()


def build(rows: int):
    from django.contrib.auth.models import User
    from django.core.management import call_command

    from tracker.models import Agency, Dialogue, SourceDocument, Theme

    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)  # production settings: the admin's files
    user = User.objects.create_superuser("bench-importer", "bench@example.org", "bench-password-123456")
    dialogue = Dialogue.objects.create(name="Bench", slug="bench", parties="US,FR", announced_on="2024-01-01")
    text = " ".join(f"Sentence number {i} will happen." for i in range(rows))
    SourceDocument.objects.create(title="Bench statement", published_on="2024-01-01", text=text)
    for i in range(12):
        Theme.objects.create(dialogue=dialogue, slug=f"bench-theme-{i}", name=f"Theme {i}", order=i)
    for i in range(200):
        Agency.objects.create(
            slug=f"bench-agency-{i}", name=f"Agency {i}", acronym=f"AG{i}", country="US" if i % 2 else "FR"
        )
    headings = [
        "dialogue",
        "slug",
        "title",
        "description",
        "announced_on",
        "due_on",
        "source",
        "quote",
        "themes",
    ]
    headings += ["lead_agencies", "partner_agencies"]
    commitments = [headings] + [
        [
            "bench",
            f"c{i}",
            f"Commitment {i}",
            "Described.",
            datetime.date(2024, 1, 1),
            "31/12/2026",
            "Bench statement",
            f"Sentence number {i} will happen.",
            f"bench-theme-{i % 12}; bench-theme-{(i + 1) % 12}",
            f"AG{i % 200}",
            f"bench-agency-{(i + 7) % 200}",
        ]
        for i in range(rows)
    ]
    updates = [["dialogue", "commitment", "reported_on", "status", "progress", "text", "reason"]] + [
        [
            "bench",
            f"c{i}",
            datetime.date(2024, 3, 1),
            "at_risk" if i % 5 == 0 else "on_track",
            i % 100,
            f"Update {i}",
            "funding" if i % 5 == 0 else "",
        ]
        for i in range(rows)
    ]
    return user, workbook(commitments), workbook(updates)


def timed_import(client, model: str, data: bytes) -> dict:
    from django.core.files.uploadedfile import SimpleUploadedFile

    started, cpu = time.perf_counter(), time.process_time()
    previewed = client.post(
        f"/admin/tracker/{model}/import/",
        {"resource": "0", "format": "1", "import_file": SimpleUploadedFile("bench.xlsx", data)},
    )
    preview_s, preview_cpu = time.perf_counter() - started, time.process_time() - cpu
    # Production settings: no template context in the response, so the confirm form's hidden fields
    # are read from the page itself.
    page = previewed.content.decode()
    fields = dict(
        re.findall(r'name="(import_file_name|original_file_name|format|resource)" value="([^"]*)"', page)
    )
    if "import_file_name" not in fields:
        raise SystemExit(f"{model}: the preview did not offer to confirm ({preview_s:.0f} s)")
    started, cpu = time.perf_counter(), time.process_time()
    confirmed = client.post(f"/admin/tracker/{model}/process_import/", fields)
    import_s, import_cpu = time.perf_counter() - started, time.process_time() - cpu
    assert confirmed.status_code == 302, confirmed.status_code
    return {
        "preview_s": preview_s,
        "preview_cpu": preview_cpu,
        "import_s": import_s,
        "import_cpu": import_cpu,
        "page_mb": len(previewed.content) / 1e6,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tracker-import-bench-") as workdir:
        production_like_environment(Path(workdir))
        import django

        django.setup()
        from django.test import Client

        from tracker.models import Commitment, StatusUpdate

        user, commitments, updates = build(args.rows)
        client = Client()
        client.force_login(user)
        results = {
            f"{args.rows:,} commitments (XLSX)": timed_import(client, "commitment", commitments),
            f"{args.rows:,} status updates (XLSX)": timed_import(client, "statusupdate", updates),
        }
        assert Commitment.objects.count() == StatusUpdate.objects.count() == args.rows
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    # CPU time beside wall time: on a shared machine the wall clock also counts other processes' work.
    print("| import | preview (CPU) | import (CPU) | preview page | budget |\n|---|---|---|---|---|")
    for case, r in results.items():
        print(
            f"| {case} | {r['preview_s']:.1f} s ({r['preview_cpu']:.1f} s) | {r['import_s']:.1f} s "
            f"({r['import_cpu']:.1f} s) | {r['page_mb']:.1f} MB | {BUDGET_S} s |"
        )
    print(f"\npeak memory of the process: {peak_mib:.0f} MiB")
    failed = [case for case, row in results.items() if max(row["preview_s"], row["import_s"]) > BUDGET_S]
    if failed:
        raise SystemExit(f"over budget: {', '.join(failed)}")


if __name__ == "__main__":
    main()
