"""Storing and deleting evidence files. Attaching runs inside the service that records the update or
the assessment, so the files and their record are written together; every file is checked from its
content first (tracker/evidence.py), before anything is written."""

from django.core.exceptions import ValidationError
from django.db import transaction

from ..evidence import CheckedFile, check_evidence_file
from ..models import Assessment, EvidenceFile, StatusUpdate


def evidence_files_check(files) -> list[tuple[object, CheckedFile]]:
    """Each upload with what its content says it is. Raises one ValidationError under `files` with a
    message per refused file (each naming the file), so nothing is written when any is refused."""
    checked, problems = [], []
    for upload in files or ():
        try:
            checked.append((upload, check_evidence_file(upload)))
        except ValidationError as error:
            problems.extend(error.messages)
    if problems:
        raise ValidationError({"files": problems})
    return checked


def same_files(checked: list[tuple[object, CheckedFile]], existing) -> bool:
    """Whether `checked` are the files `existing` (EvidenceFile rows) already hold, by name and size:
    what tells a resent post with its files from a new post."""
    ours = sorted((found.name, found.size) for _upload, found in checked)
    theirs = sorted((evidence.original_name, evidence.size) for evidence in existing)
    return ours == theirs


def evidence_files_attach(
    *,
    checked: list[tuple[object, CheckedFile]],
    uploaded_by,
    status_update: StatusUpdate | None = None,
    assessment: Assessment | None = None,
) -> list[EvidenceFile]:
    """Store each checked upload (evidence_files_check) under a random name and record it on the
    update or the assessment, in the caller's transaction.

    Should recording one fail, the copies stored so far are removed before the error goes on. (A
    rollback later in an outer transaction can leave a stored copy without its row: Django has no
    rollback hook. Such a copy is harmless, as files are served only through their row, by id.)"""
    attached = []
    try:
        for upload, found in checked:
            evidence = EvidenceFile(
                original_name=found.name,
                content_type=found.content_type,
                size=found.size,
                uploaded_by=uploaded_by,
                status_update=status_update,
                assessment=assessment,
            )
            upload.seek(0)
            # The name given here is ignored: evidence_storage_name draws a random one.
            evidence.file.save(found.kind.extension, upload, save=False)
            attached.append(evidence)
            evidence._history_user = uploaded_by
            evidence.save()
    except Exception:
        for evidence in attached:
            evidence.file.storage.delete(evidence.file.name)
        raise
    return attached


@transaction.atomic
def evidence_file_delete(*, evidence: EvidenceFile, by) -> None:
    """Delete one evidence file (superusers only: the admin decides who). Its history keeps who
    deleted it and when, with its name, type and size; the stored copy is removed once the
    deletion is committed."""
    storage, name = evidence.file.storage, evidence.file.name
    evidence._history_user = by
    evidence.delete()
    transaction.on_commit(lambda: storage.delete(name))
