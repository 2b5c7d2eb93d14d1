"""What every page's header needs about the person looking (never cached: it is per person)."""

from .selectors.follows import FollowState


def follow_state(request) -> dict:
    """`follow_state`: what the user follows and their count of news, read only if the page shows
    them (one query, shared by the header and any Follow button on the page)."""
    return {"follow_state": request_follow_state(request)}


def request_follow_state(request) -> FollowState:
    """The request's one FollowState, made on first use, so a view can prime what it already read."""
    if not hasattr(request, "_follow_state"):
        user = getattr(request, "user", None)
        request._follow_state = FollowState(user.pk if user is not None and user.is_authenticated else None)
    return request._follow_state
