"""Writing the trail: posting, withdrawing and restoring status updates, and keeping each
commitment's current state in step with its trail."""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .. import caching
from ..models import Commitment, Status, StatusUpdate
from ..models.commitment import COMMITMENT_HISTORY
from .evidence import evidence_files_attach, evidence_files_check, same_files

# The same update posted again within this time (a double click, a resent form) is recorded once.
DUPLICATE_WINDOW = datetime.timedelta(minutes=5)
REASON_REQUIRED = _("Give a reason: say why, so the record explains itself.")
ALREADY_WITHDRAWN = _("This update was already withdrawn.")
NOT_WITHDRAWN = _("This update is not withdrawn: there is nothing to restore.")
MAY_NOT_WITHDRAW = _("You may withdraw or restore only the updates you posted.")


def _locked_commitment(pk: int) -> Commitment:
    """The commitment, its row locked until the transaction ends: writers to its trail queue here.
    The whole row, because saving it records every field in its history."""
    return Commitment.objects.select_for_update().get(pk=pk)


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
    reason: str = "",
    reason_note: str = "",
    files=(),
) -> StatusUpdate:
    """Append a status update and move the commitment's current status/progress to match.

    Both happen in one transaction, so the commitment never disagrees with its trail. The
    commitment's row is locked first so concurrent posters queue instead of racing. The date may
    not be after today (StatusUpdate.reported_on's validator), and an update at risk, off track or
    discontinued gives a reason for slippage (StatusUpdate.clean, rules.slip_reason_problems).

    The same update by the same author (same date, status, progress, text and evidence link) already
    recorded within DUPLICATE_WINDOW and not withdrawn is not recorded again: that one is returned,
    with `already_recorded` set to True (False on a new update). The check runs under the row lock,
    so two identical posts arriving together cannot both pass it. Posts with evidence files are the
    same only when they carry the same files (by name and size).

    `files` (uploaded files) are checked from their content (tracker/evidence.py) before anything is
    written, then stored and attached to the update in this transaction; a refused file raises a
    ValidationError under "files" naming it, and nothing is written.
    """
    checked = evidence_files_check(files)
    locked = _locked_commitment(commitment.pk)
    update = StatusUpdate(
        commitment=locked,
        author=author,
        status=status,
        progress=progress,
        text=text,
        evidence_url=evidence_url,
        reason=reason,
        reason_note=reason_note,
    )
    if reported_on is not None:
        update.reported_on = reported_on
    # Field checks give clear messages; the database enforces the constraints again on insert, and the
    # commitment and author are objects already loaded, so neither needs a query here.
    update.full_clean(exclude=["commitment", "author"], validate_constraints=False)
    earlier = (
        StatusUpdate.objects.counting()
        .filter(
            commitment_id=locked.pk,
            author_id=author.pk,
            reported_on=update.reported_on,
            status=update.status,
            progress=update.progress,
            text=update.text,
            evidence_url=update.evidence_url,
            reason=update.reason,
            created_at__gte=timezone.now() - DUPLICATE_WINDOW,
        )
        .order_by("-created_at", "-id")
        .first()
    )
    if earlier is not None and (not checked or same_files(checked, earlier.evidence_files.all())):
        earlier.already_recorded = True
        return earlier
    # The update's own history names its author, wherever it was posted from (page, admin, loader).
    update._history_user = author
    update.save()
    update.already_recorded = False
    evidence_files_attach(checked=checked, uploaded_by=author, status_update=update)
    commitment_sync_current_status(commitment=locked, by=author)
    _copy_state(locked, commitment)
    return update


@transaction.atomic
def status_update_withdraw(*, update: StatusUpdate, by, reason: str) -> StatusUpdate:
    """Withdraw an update that was wrong: it stays in the trail, marked with who withdrew it, when and
    why, and no longer counts. The commitment's state is re-derived at once, under its row lock.

    Raises ValidationError without a reason or when it is withdrawn already, PermissionDenied when
    `by` may not withdraw it (StatusUpdate.may_be_withdrawn_by).
    """
    return _set_withdrawn(update=update, by=by, reason=reason, withdraw=True)


@transaction.atomic
def status_update_restore(*, update: StatusUpdate, by, reason: str) -> StatusUpdate:
    """Undo a withdrawal: the update counts again and the commitment's state is re-derived.

    The same people may restore as may withdraw, and they too give a reason. The update's history
    keeps both steps (who, when and the reason, as the change reason); the trail shows its state now.
    """
    return _set_withdrawn(update=update, by=by, reason=reason, withdraw=False)


def _set_withdrawn(*, update: StatusUpdate, by, reason: str, withdraw: bool) -> StatusUpdate:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": REASON_REQUIRED}, code="required")
    locked = _locked_commitment(update.commitment_id)
    # Read again under the lock: another request may have withdrawn or restored it meanwhile.
    current = StatusUpdate.objects.select_related("author").get(pk=update.pk)
    if not current.may_be_withdrawn_by(by):
        raise PermissionDenied(MAY_NOT_WITHDRAW)
    if current.is_withdrawn == withdraw:
        raise ValidationError(ALREADY_WITHDRAWN if withdraw else NOT_WITHDRAWN, code="invalid")
    current.withdrawn_at = timezone.now() if withdraw else None
    current.withdrawn_by = by if withdraw else None
    current.withdrawal_reason = reason if withdraw else ""
    current._history_user = by
    current._change_reason = reason
    current.save(update_fields=["withdrawn_at", "withdrawn_by", "withdrawal_reason"])
    commitment_sync_current_status(commitment=locked, by=by)
    current.commitment = locked
    return current


def commitment_sync_current_status(*, commitment: Commitment, by=None) -> None:
    """Copy the latest counting update's status, progress and date onto the commitment.

    "Latest" is by the date the update describes, so back-dated corrections slot into the trail
    without overriding a newer report; withdrawn updates do not count. Call it with the commitment
    fully loaded and its row locked. Only when something changed is it written, and then with what
    a save would do besides: a history row for the commitment with `by` (the author, the withdrawer)
    as its user, and the cached pages that show it retired (caching.state_moved). Written as an
    UPDATE of the derived columns rather than a save, because imports do this by the thousand and a save's machinery (its signals, the
    version rule that leaves derived fields alone anyway) costs more than the write itself.
    """
    latest = (
        StatusUpdate.objects.counting()
        .filter(commitment_id=commitment.pk)
        .order_by("-reported_on", "-created_at", "-id")
        .values("status", "progress", "reported_on", "reason")
        .first()
    )
    current = (
        {
            "status": latest["status"],
            "progress": latest["progress"],
            "last_update_on": latest["reported_on"],
            "slip_reason": latest["reason"],
        }
        if latest
        else {"status": Status.NOT_STARTED, "progress": 0, "last_update_on": None, "slip_reason": ""}
    )
    if all(getattr(commitment, field) == value for field, value in current.items()):
        return
    for field, value in current.items():
        setattr(commitment, field, value)
    if by is not None:
        commitment._history_user = by
    Commitment.objects.filter(pk=commitment.pk).update(**current)
    COMMITMENT_HISTORY.create_historical_record(commitment, "~")
    # Only the state moved: lists narrowed to agencies, themes... the commitment is not in keep theirs.
    caching.state_moved(commitment.pk)


def _copy_state(source: Commitment, target: Commitment) -> None:
    """Let the caller's copy of the commitment see the state just derived."""
    for field in Commitment.DERIVED_FIELDS:
        setattr(target, field, getattr(source, field))


@transaction.atomic
def status_update_delete(*, update: StatusUpdate, by=None) -> None:
    """Remove an update (administrators only, recorded by history) and re-derive the current status."""
    locked = _locked_commitment(update.commitment_id)
    update.delete()
    commitment_sync_current_status(commitment=locked, by=by)
    if StatusUpdate.commitment.is_cached(update):
        _copy_state(locked, update.commitment)
