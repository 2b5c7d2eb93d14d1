"""Writes with side effects, one module per aggregate. Views, the admin, loaders and commands all go
through these, so every path applies the same rules and keeps the same history."""

from .assessments import assessment_create
from .commitments import commitment_create_from_source
from .dependencies import blocking_chain, check_no_blocking_cycle, commitment_set_blockers
from .evidence import evidence_file_delete, evidence_files_attach, evidence_files_check
from .follows import (
    follow_create,
    follow_delete,
    follow_kind,
    follow_visit_record,
    follows_create_for_users,
)
from .status_updates import (
    ALREADY_WITHDRAWN,
    DUPLICATE_WINDOW,
    MAY_NOT_WITHDRAW,
    NOT_WITHDRAWN,
    REASON_REQUIRED,
    commitment_sync_current_status,
    status_update_create,
    status_update_delete,
    status_update_restore,
    status_update_withdraw,
)

__all__ = [
    "ALREADY_WITHDRAWN",
    "DUPLICATE_WINDOW",
    "MAY_NOT_WITHDRAW",
    "NOT_WITHDRAWN",
    "REASON_REQUIRED",
    "assessment_create",
    "blocking_chain",
    "check_no_blocking_cycle",
    "commitment_set_blockers",
    "commitment_create_from_source",
    "commitment_sync_current_status",
    "evidence_file_delete",
    "follow_create",
    "follow_delete",
    "follow_kind",
    "follow_visit_record",
    "follows_create_for_users",
    "evidence_files_attach",
    "evidence_files_check",
    "status_update_create",
    "status_update_delete",
    "status_update_restore",
    "status_update_withdraw",
]
