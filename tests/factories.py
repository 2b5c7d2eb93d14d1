"""Small builders for test data."""

from tracker.rules import SLIP_STATUSES, SlipReason


def reason_for(status) -> dict:
    """The reason for slippage an update in `status` must carry (none for the others), for tests whose
    subject is not the reason rule itself."""
    return {"reason": SlipReason.TECHNICAL} if status in SLIP_STATUSES else {}
