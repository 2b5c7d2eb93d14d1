"""The tracker's data, one module per aggregate:

- content: the French version of names, titles and descriptions (TranslatedContent, localized)
- dialogue: Dialogue, SourceDocument, Theme, Round
- agency: Agency
- commitment: Commitment, Participation, StatusUpdate, and the as-of state expressions
- assessment: Assessment (per-side scores at each round)
- evidence: EvidenceFile (files an update or an assessment carries)
- follow: Follow (what each person follows, for the digest, their calendar and their news count)
- calendar: CalendarToken (the secret in a person's calendar feed addresses)
- digest: DigestSubscription (who wants the weekly digest), DigestSent (one per person and week)
- stamp: DataStamp and ScopeStamp (what retires cached pages)
- profile: Profile (a person's preferences: the interface language)
- api_token: APIToken (personal API tokens) and IdempotencyKey (replayable API posts)
- history: the history records imports write by the thousand, at a lower cost (links as ids)
"""

from ..rules import (
    CLOSED_STATUSES,
    STATE_LAST_UPDATE,
    STATE_PROGRESS,
    STATE_REASON,
    STATE_STATUS,
    SlipReason,
    Status,
)
from .agency import Agency, agency_label, country_name
from .api_token import APIToken, IdempotencyKey, TokenScope
from .assessment import NO_EVIDENCE_LABEL, NOT_ASSESSED_LABEL, Assessment, Score, ScoreDisplay, score_display
from .calendar import CalendarToken
from .commitment import (
    FUTURE_DATE_MESSAGE,
    Commitment,
    CommitmentQuerySet,
    CommitmentStateIterable,
    Participation,
    Role,
    StatusUpdate,
    blocked_expression,
    blocked_q,
    children_mean_progress,
    is_past,
    latest_updates,
    not_in_the_future,
    state_expressions,
    with_state_of,
)
from .content import Localized, TranslatedContent, localized, localized_text
from .counts import ANY_DIALOGUE, CommitmentCount, CommitmentCountry, CountDimension
from .dialogue import (
    Dialogue,
    Round,
    SourceDocument,
    Theme,
    ThemeKind,
    country_code_validator,
    party_codes_validator,
)
from .digest import DigestSent, DigestStatus, DigestSubscription
from .evidence import EvidenceFile, attached_files
from .follow import FOLLOWABLE, Follow, FollowVisit
from .profile import Profile
from .stamp import DataStamp, ScopeStamp

__all__ = [
    "APIToken",
    "IdempotencyKey",
    "Localized",
    "TranslatedContent",
    "localized",
    "localized_text",
    "TokenScope",
    "FOLLOWABLE",
    "Follow",
    "CalendarToken",
    "FollowVisit",
    "CLOSED_STATUSES",
    "FUTURE_DATE_MESSAGE",
    "NO_EVIDENCE_LABEL",
    "NOT_ASSESSED_LABEL",
    "ScoreDisplay",
    "score_display",
    "STATE_LAST_UPDATE",
    "STATE_PROGRESS",
    "STATE_REASON",
    "STATE_STATUS",
    "ANY_DIALOGUE",
    "Agency",
    "agency_label",
    "Assessment",
    "Commitment",
    "CommitmentCount",
    "CommitmentCountry",
    "CommitmentQuerySet",
    "CommitmentStateIterable",
    "with_state_of",
    "CountDimension",
    "DataStamp",
    "ScopeStamp",
    "DigestSent",
    "DigestStatus",
    "DigestSubscription",
    "Dialogue",
    "EvidenceFile",
    "attached_files",
    "Participation",
    "Profile",
    "Role",
    "Round",
    "Score",
    "SlipReason",
    "SourceDocument",
    "Status",
    "StatusUpdate",
    "Theme",
    "ThemeKind",
    "blocked_expression",
    "blocked_q",
    "children_mean_progress",
    "country_code_validator",
    "country_name",
    "is_past",
    "latest_updates",
    "not_in_the_future",
    "party_codes_validator",
    "state_expressions",
]
