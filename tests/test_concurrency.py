"""Many editors posting at once: every update is kept and the commitment ends in step with its trail."""

import threading

import pytest
from django.db import close_old_connections, connection

from tests.factories import reason_for
from tracker import services
from tracker.models import Commitment, Status, StatusUpdate

THREADS, UPDATES_EACH = 8, 100


@pytest.mark.django_db(transaction=True)
def test_eight_writers_lose_no_update(seed, editor):
    commitment = Commitment.objects.get(slug="earth-observation-data-exchange")
    statuses = [Status.ON_TRACK, Status.AT_RISK, Status.OFF_TRACK]
    errors = []

    def writer(n):
        try:
            for i in range(UPDATES_EACH):
                services.status_update_create(
                    commitment=commitment,
                    author=editor,
                    status=statuses[(n + i) % 3],
                    **reason_for(statuses[(n + i) % 3]),
                    progress=(n * UPDATES_EACH + i) % 101,
                    text=f"writer {n}, update {i}",
                )
        except Exception as exc:  # noqa: BLE001 -- report every failure, from every thread
            errors.append(repr(exc))
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert StatusUpdate.objects.filter(commitment=commitment).count() == THREADS * UPDATES_EACH
    commitment.refresh_from_db()
    latest = StatusUpdate.objects.filter(commitment=commitment).latest()
    assert (commitment.status, commitment.progress) == (latest.status, latest.progress)
