"""config/process.py: how the serving process is set up."""

import os
import subprocess
import sys

from config.process import YOUNG_GENERATION_THRESHOLD


def test_the_served_process_collects_garbage_less_often_and_skips_start_up_objects():
    """gunicorn imports config.wsgi, so every worker gets config/process.py's collector settings (what
    the bench applies too, so that the computed pages it measures are the ones a user waits for)."""
    probe = "import gc, config.wsgi; print(gc.get_threshold()[0], gc.get_freeze_count() > 0)"
    output = subprocess.run(  # noqa: S603 (our own interpreter and a fixed probe)
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "DJANGO_DEBUG": "1"},
    ).stdout.split()
    assert output == [str(YOUNG_GENERATION_THRESHOLD), "True"]
