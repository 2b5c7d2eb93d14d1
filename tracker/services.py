"""Writes with side effects. Views, the admin and management commands all go through these."""

import datetime

from django.db import transaction

from .models import Commitment, Status, StatusUpdate


@transaction.atomic
def status_update_create(
    *,
    commitment: Commitment,
    author,
    status: str,
    progress: int,
    text: str,
    reported_on: datetime.date | None = None,
    evidence_url: str = "",
) -> StatusUpdate:
    """Append a status update and move the commitment's current status/progress to match.

    Both happen in one transaction, so the commitment never disagrees with its trail. The
    commitment's row is locked first so concurrent posters queue instead of racing.
    """
    locked = Commitment.objects.select_for_update().only("pk").get(pk=commitment.pk)
    update = StatusUpdate(
        commitment=locked,
        author=author,
        status=status,
        progress=progress,
        text=text,
        evidence_url=evidence_url,
    )
    if reported_on is not None:
        update.reported_on = reported_on
    # Field checks give clear messages; the database enforces the constraints again on insert, and the
    # commitment and author are objects already loaded, so neither needs a query here.
    update.full_clean(exclude=["commitment", "author"], validate_constraints=False)
    update.save()
    commitment_sync_current_status(commitment=commitment)
    return update


def commitment_sync_current_status(*, commitment: Commitment) -> None:
    """Copy the latest update's status, progress and date onto the commitment.

    "Latest" is by the date the update describes, so back-dated corrections slot into the trail
    without overriding a newer report. Uses a queryset update: the update itself is the record.
    """
    latest = (
        StatusUpdate.objects.filter(commitment_id=commitment.pk)
        .order_by("-reported_on", "-created_at", "-id")
        .values("status", "progress", "reported_on")
        .first()
    )
    current = (
        {"status": latest["status"], "progress": latest["progress"], "last_update_on": latest["reported_on"]}
        if latest
        else {"status": Status.NOT_STARTED, "progress": 0, "last_update_on": None}
    )
    Commitment.objects.filter(pk=commitment.pk).update(**current)
    for field, value in current.items():
        setattr(commitment, field, value)


@transaction.atomic
def status_update_delete(*, update: StatusUpdate) -> None:
    """Remove an update (administrators only, recorded by history) and re-derive the current status."""
    commitment = update.commitment
    update.delete()
    commitment_sync_current_status(commitment=commitment)
