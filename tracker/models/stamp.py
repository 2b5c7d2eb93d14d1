import uuid

from django.db import models


def new_token() -> str:
    return uuid.uuid4().hex


class DataStamp(models.Model):
    """One row whose tokens change with the tracker's data (see tracker/caching.py).

    Cached page data is filed under a token, so a write makes every cached answer filed under it
    unreachable at once, in every process. `token` changes with every write; `state_token` with
    every write but those to the trail alone (status updates and their evidence files), so pages
    that show only the commitments' current state keep their cached answers through those;
    `structure_token` with every write but those to the trail and the state it moves, so a list
    narrowed to some agencies, themes, countries or dialogues keeps its answer until a commitment
    among them moves (ScopeStamp). Tokens rather than counters: a write that is rolled back must
    never leave a number that the next write would reuse.
    """

    token = models.CharField(max_length=32)
    state_token = models.CharField(max_length=32, default=new_token)
    structure_token = models.CharField(max_length=32, default=new_token)
    changed_at = models.DateTimeField()

    def __str__(self):
        return f"data changed {self.changed_at:%Y-%m-%d %H:%M:%S}"


class ScopeStamp(models.Model):
    """A token per agency, theme, country or dialogue (`scope`: "agency:<slug>", "theme:<slug>",
    "country:<code>", "dialogue:<slug>"), replaced whenever the state of a commitment in it moves
    (tracker/caching.py, `state_moved`). A scope without a row has never moved: its token is "".
    Rows are never deleted: a scope's name may come back (an agency renamed, then renamed again)."""

    scope = models.CharField(max_length=120, primary_key=True)
    token = models.CharField(max_length=32)

    def __str__(self):
        return self.scope
