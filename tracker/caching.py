"""Page data cached until the tracker's data changes.

Every write to a tracked model (any save, delete or theme link, from a page, the admin, the loader
or a command) replaces a token in the single DataStamp row, inside the writer's own transaction.
Readers read the tokens first (one small query) and file what they compute under one of them, so:

- a cached answer is never older than the data a reader could see when it started;
- a write is visible to every process and machine at once, whatever cache each one uses: the
  tokens live in the database;
- a write need not know which cached answers it affects: only which of two kinds it is.

Two tokens, because most writes in use are to the trail (status updates and their evidence files)
and most reads are of today's state (the list):

- `token` is replaced by every write. What reads the trail files under it: a commitment's page,
  the overview's latest updates and its charts, what changed, every page as of a past day.
- `state_token` is replaced by every write except those to the trail alone (`trail_changed`). What
  shows only today's state files under it: today's list and its fragment (CachedPage.reads_trail
  False), and the overview but its latest updates (CachedPage.state_cache_key). Why that is safe:
  today's state of a commitment is its stored columns (status, progress, last_update_on,
  slip_reason), and every write of those replaces both tokens: a save of the commitment through its
  signal, and services.status_updates.commitment_sync_current_status (its UPDATE) by calling
  `state_moved()` whenever a write to the trail moves them (a new latest update, a withdrawal or
  restoration of the latest, a deletion). A write to the trail that leaves
  them as they were (an update dated before the latest, evidence added, an older update withdrawn)
  changes nothing such a page shows.
  tests/test_caching_state.py holds both halves: those pages' SQL reads no trail table, and
  after each kind of write every page shows it at once.

A third token and a token per scope let a list narrowed to some agencies, themes, countries or
dialogues survive the state moves of commitments outside them:

- `structure_token` is replaced by every write except those to the trail and the state they move
  (`state_moved`): what is left is what decides which commitments a scope holds and how they are
  named (the commitments' other columns, their themes and participations, the agencies, themes,
  dialogues and blockers).
- Each scope ("agency:<slug>", "theme:<slug>", "country:<code>", "dialogue:<slug>", and
  "commitment:<id>" for a commitment's page) has a token in
  ScopeStamp, which `state_moved` replaces for every scope of the commitment that moved and of each
  commitment it blocks (their rows show whether they are blocked).
- Today's list is filed under the structure token and the scopes of one of its filters
  (`selectors.CommitmentBrowser.scopes`) when every filter in force is one that a state cannot change: agency, theme,
  country, dialogue, role and the text search. Why that is safe: such a list's rows are the
  commitments matching all of its filters, each facet counts the commitments matching all of them
  but its own, grouped by its own (agency, theme, country, dialogue) or by status or reason among
  all of them. A commitment outside one of the filters' scopes is in no row and in no status or
  reason count; in the facet of that filter it is counted by scopes it keeps, among commitments
  that a state move cannot add or remove. So its state moving changes nothing the list shows. A
  commitment inside it moves the scope's token. Sorting by the sub-commitments' progress reads
  other commitments' state: such a list is not scoped.
- A commitment's page today is filed under the structure token and its own scope
  ("commitment:<id>"), which a write to its trail replaces (`trail_changed`, with evidence files of
  its assessments), and a state move of it or of a commitment whose state it shows: its
  sub-commitments, those it blocks and those that block it (`state_moved`). Everything else it
  shows moves the structure token.
  tests/test_caching_scopes.py holds the cached answers to freshly computed ones after random writes.

Answers that depend on the day (overdue, stale) also carry today's date in their key. Entries
expire after TRACKER_CACHE_SECONDS as well, which bounds the damage of a write that bypasses the ORM's
signals (raw SQL, `QuerySet.update()` on its own): code that does that must call `data_changed()`.
"""

import hashlib
import threading
import uuid
from contextlib import contextmanager, suppress

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import DatabaseError, connection
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import get_language

from .models import (
    Agency,
    Assessment,
    Commitment,
    DataStamp,
    Dialogue,
    EvidenceFile,
    Participation,
    Round,
    SourceDocument,
    StatusUpdate,
    Theme,
    is_past,
)

# Rounds and assessments too: the dialogue page and the scorecard show them; evidence files are
# listed in the trail and the assessment history.
TRACKED_MODELS = (
    Dialogue,
    SourceDocument,
    Theme,
    Round,
    Agency,
    Commitment,
    Participation,
    StatusUpdate,
    Assessment,
    EvidenceFile,
)
# The trail: what a commitment's page, the overview's latest updates, what changed and the past
# days' pages read, and what today's state is derived from (see the module's docstring).
TRAIL_MODELS = (StatusUpdate, EvidenceFile)
STAMP_ID = 1
# data_tokens' query, written out (DataStamp's table and columns; tests/test_caching.py reads it).
TOKENS_SQL = "SELECT token, state_token FROM tracker_datastamp WHERE id = %s"
# What a batch (one_change) has noted so far, least to most: nothing, the trail, the trail and some
# commitments' state (never noted: a batch takes a state move for ALL), everything.
UNCHANGED, TRAIL, STATE, ALL = 0, 1, 2, 3
# Which tokens each kind of write replaces.
TOKENS_REPLACED = {
    TRAIL: ("token",),
    STATE: ("token", "state_token"),
    ALL: ("token", "state_token", "structure_token"),
}
# The scopes of a commitment whose state moved: its list scopes and those of each one it blocks (as
# "blocked", its row shows whether a blocker is still troubled), and the pages of the commitments
# that show its state: its own, its parent's (its sub-commitments), those it blocks and those that
# block it (their dependencies). Inserted, or given the new token, in the scopes' order, so two
# writers on PostgreSQL lock rows in the same order. Parameters: the commitment's id twice, the new
# token, the commitment's id twice again.
SCOPES_MOVED_SQL = """
WITH moved (id) AS (
    SELECT %s UNION SELECT from_commitment_id FROM tracker_commitment_blocked_by WHERE to_commitment_id = %s
)
INSERT INTO tracker_scopestamp (scope, token)
SELECT scope, CAST(%s AS varchar(32)) FROM (
    SELECT 'commitment:' || CAST(id AS varchar(20)) AS scope FROM moved
    UNION SELECT 'commitment:' || CAST(parent_id AS varchar(20)) FROM tracker_commitment
        WHERE id = %s AND parent_id IS NOT NULL
    UNION SELECT 'commitment:' || CAST(to_commitment_id AS varchar(20)) FROM tracker_commitment_blocked_by
        WHERE from_commitment_id = %s
    UNION SELECT 'dialogue:' || d.slug FROM tracker_commitment c
        JOIN tracker_dialogue d ON d.id = c.dialogue_id WHERE c.id IN (SELECT id FROM moved)
    UNION SELECT 'theme:' || t.slug FROM tracker_commitment_themes ct
        JOIN tracker_theme t ON t.id = ct.theme_id WHERE ct.commitment_id IN (SELECT id FROM moved)
    UNION SELECT 'agency:' || a.slug FROM tracker_participation p
        JOIN tracker_agency a ON a.id = p.agency_id WHERE p.commitment_id IN (SELECT id FROM moved)
    UNION SELECT 'country:' || p.country FROM tracker_participation p
        WHERE p.commitment_id IN (SELECT id FROM moved)
) AS scopes WHERE true ORDER BY scope
ON CONFLICT (scope) DO UPDATE SET token = excluded.token
"""


def data_changed() -> None:
    """Give the data new tokens: every answer cached so far is now out of date."""
    _changed(ALL)


def state_moved(commitment_id: int) -> None:
    """A write to the trail moved one commitment's state (status, progress, last update, reason of
    slipping) and nothing else: answers that read the trail or the state of every commitment are
    now out of date, and lists scoped to the commitment's agencies, themes, countries and dialogue,
    or to those of a commitment it blocks; other scoped lists stand (see the module's docstring).
    Inside a batch (one_change), everything is retired as the batch ends."""
    if getattr(_batch, "open", False):
        _changed(ALL)
        return
    token = uuid.uuid4().hex
    # The stamp's row first: every writer updates it, so on PostgreSQL writers queue there before
    # they lock any scope's row.
    _changed(STATE)
    with connection.cursor() as cursor:
        cursor.execute(SCOPES_MOVED_SQL, [commitment_id, commitment_id, token, commitment_id, commitment_id])


def trail_changed(commitment_id: int | None) -> None:
    """A write to the trail of one commitment (None: not known) that leaves every commitment's
    current state as it was: answers that read the trail are now out of date, and that commitment's
    page; those of today's state stand, and the other commitments' pages (see the module's
    docstring). A write that moves a commitment's state calls `state_moved()` as well."""
    if commitment_id is None:
        _changed(ALL)
        return
    if getattr(_batch, "open", False):
        _batch.trails.add(commitment_id)  # their pages' tokens replaced as the batch ends
        _changed(TRAIL)
        return
    _changed(TRAIL)
    _scopes_moved([commitment_scope(commitment_id)])


def commitment_scope(commitment_id: int) -> str:
    """The scope of a commitment's page (see the module's docstring)."""
    return f"commitment:{commitment_id}"


def _scopes_moved(scopes) -> None:
    """New tokens for `scopes`, in their order (see SCOPES_MOVED_SQL)."""
    scopes = sorted(set(scopes))
    token = uuid.uuid4().hex
    rows = ", ".join(["(%s, %s)"] * len(scopes))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO tracker_scopestamp (scope, token) VALUES {rows}"  # noqa: S608 -- placeholders only
            " ON CONFLICT (scope) DO UPDATE SET token = excluded.token",
            [value for scope in scopes for value in (scope, token)],
        )


def _changed(kind: int) -> None:
    if getattr(_batch, "open", False):
        _batch.changed = max(_batch.changed, kind)  # new tokens when the batch ends (see one_change)
        return
    values = {name: uuid.uuid4().hex for name in TOKENS_REPLACED[kind]}
    values["changed_at"] = timezone.now()
    if not DataStamp.objects.filter(pk=STAMP_ID).update(**values):
        DataStamp.objects.update_or_create(pk=STAMP_ID, defaults=values)


_batch = threading.local()


@contextmanager
def one_change():
    """Many writes, one new token: inside this block the writes only note that the data changed, and
    the token is replaced once as the block ends. For bulk writes (a spreadsheet of 10,000 rows
    replaced the token tens of thousands of times). Open it inside the writers' transaction, so the
    new token commits, or rolls back, with their data. Nested blocks count as the outermost one."""
    if getattr(_batch, "open", False):
        yield
        return
    _batch.open, _batch.changed, _batch.trails = True, UNCHANGED, set()
    try:
        yield
    except BaseException:
        changed, trails = _batch_end()
        if changed:
            # Usually the transaction is rolling back and takes the writes with it; if the caller
            # keeps them, the tokens must still move. A broken transaction refuses the query: fine.
            with suppress(DatabaseError):
                _changed_after_batch(changed, trails)
        raise
    changed, trails = _batch_end()
    if changed:
        _changed_after_batch(changed, trails)


def _batch_end() -> tuple[int, set[int]]:
    """What the batch noted (the kind, the commitments whose trail it wrote), the batch closed."""
    noted = _batch.changed, _batch.trails
    _batch.open, _batch.changed, _batch.trails = False, UNCHANGED, set()
    return noted


def _changed_after_batch(changed: int, trails: set[int]) -> None:
    _changed(changed)
    if changed == TRAIL and trails:  # after every other kind, the structure token moved too
        _scopes_moved(commitment_scope(pk) for pk in trails)


def data_token() -> str:
    """The current token, replaced by every write, read fresh from the database (1 query)."""
    return data_tokens()[0]


def data_tokens() -> tuple[str, str]:
    """The current token and state token (see the module's docstring), read fresh from the
    database together (1 query).

    Without a stamp row (a database emptied by hand) there is nothing to key on: new random tokens
    each time mean nothing is shared until the next write creates the row.
    """
    # Every request for a cached page reads them, also one then served from the cache in a few ms:
    # the ORM took 0.25 ms to build this one-row query that the database answers in 0.02.
    with connection.cursor() as cursor:
        cursor.execute(TOKENS_SQL, [STAMP_ID])
        tokens = cursor.fetchone()
    return tuple(tokens) if tokens else (uuid.uuid4().hex, uuid.uuid4().hex)


def scoped_token(scopes) -> str:
    """The token a list scoped to `scopes` (names as in ScopeStamp) is filed under: the structure
    token with each scope's own ("" for one that never moved), read fresh together (1 query)."""
    scopes = sorted(set(scopes))
    marks = ", ".join(["%s"] * len(scopes))
    scoped = f"SELECT scope, token FROM tracker_scopestamp WHERE scope IN ({marks})"  # noqa: S608 -- placeholders only
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT '', structure_token FROM tracker_datastamp WHERE id = %s UNION ALL {scoped}",  # noqa: S608
            [STAMP_ID, *scopes],
        )
        tokens = dict(cursor.fetchall())
    return token_of_scopes(tokens.pop("", None), tokens, scopes)


def token_of_scopes(structure: str | None, tokens: dict[str, str], scopes) -> str:
    """The token of `scopes` from the structure token (None: no stamp row, so nothing to share, as
    in data_tokens) and the scopes' own (`tokens` by scope, a scope missing from it never moved)."""
    moved = hashlib.sha256(repr([(scope, tokens.get(scope, "")) for scope in sorted(set(scopes))]).encode())
    return f"{structure or uuid.uuid4().hex}.{moved.hexdigest()[:16]}"


def versioned_key(token: str, parts) -> str:
    """A cache key for `parts` (any repr-able values) as of this data token, day and language: what is
    cached is rendered text, and a French reader must never be served the English copy."""
    digest = hashlib.sha256(repr(parts).encode()).hexdigest()[:32]  # any filter text, fixed-length key
    return f"{token}:{timezone.localdate().isoformat()}:{get_language() or ''}:{digest}"


def remember(token: str, name: str, parts, compute):
    """`compute()`, or what it returned before for the same name, parts, token and day."""
    key = f"tracker:{name}:{versioned_key(token, parts)}"
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, settings.TRACKER_CACHE_SECONDS)
    return value


def blank_form_key(form) -> str:
    """A cache key for a blank (unbound) form's fields as rendered: every input of that markup —
    the form's class, ids and prefix, the reader's language and, per field, its label, help text,
    starting value, widget attributes (today's date as the pickers' `max`), choices and whether it
    is required — and nothing of the data token, so the same blank form is rendered once and
    reused after writes elsewhere. Not for a bound form: its values and errors are the poster's own.
    Choices are read as the form holds them: not for a form whose choices would each be a query."""
    fields = [
        (
            name,
            str(field.label),
            str(field.help_text),
            field.required,
            repr(form.get_initial_for_field(field, name)),
            sorted((key, str(value)) for key, value in field.widget.attrs.items()),
            [(str(value), str(label)) for value, label in getattr(field, "choices", ())],
        )
        for name, field in form.fields.items()
    ]
    parts = (type(form).__qualname__, form.auto_id, form.prefix, get_language() or "", fields)
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:32]


class CachedPage:
    """Data for a page whose body a template caches with {% cache page.cache_seconds NAME page.cache_key %}.

    Subclasses compute their figures lazily (cached_property), so a cached body costs only the
    token query; `cache_parts()` names whatever else, besides the data, today and the day the page
    is about (`day`, None for today), the body shows.

    `reads_trail` says whether the page reads any of TRAIL_MODELS besides the commitments' state. A
    page that does not is filed under `state_token` and so survives writes to the trail alone; a page
    that does may still file its parts that show only the state under `state_cache_key`.
    tests/test_caching_state.py checks the SQL of each page or part filed so.
    """

    cache_seconds = settings.TRACKER_CACHE_SECONDS
    day = None
    reads_trail = True

    @cached_property
    def _tokens(self) -> tuple[str, str]:
        return data_tokens()

    @cached_property
    def token(self) -> str:
        return self._tokens[0] if self.reads_trail else self.state_token

    @cached_property
    def state_token(self) -> str:
        """The token for what shows only the commitments' state: the state token today; on a past
        day, whose state is read from the trail, the token every write replaces."""
        return self._tokens[0] if is_past(self.day) else self._tokens[1]

    @cached_property
    def state_cache_key(self) -> str:
        """The key of the page's parts that show only the commitments' state (see state_token)."""
        return versioned_key(self.state_token, ("state", self.day, self.cache_parts()))

    def cache_parts(self) -> tuple:
        return ()

    @cached_property
    def cache_key(self) -> str:
        return versioned_key(self.token, (self.day, self.cache_parts()))


def _on_write(sender, **kwargs):
    data_changed()


def _on_trail_write(sender, instance, **kwargs):
    trail_changed(_commitment_of(instance))


def _commitment_of(written) -> int | None:
    """The commitment whose trail (or assessments) a status update or an evidence file belongs to;
    None for a file whose update or assessment is gone."""
    if isinstance(written, StatusUpdate):
        return written.commitment_id
    owner, pk = (
        (StatusUpdate, written.status_update_id)
        if written.status_update_id
        else (Assessment, written.assessment_id)
    )
    return owner.objects.filter(pk=pk).values_list("commitment_id", flat=True).first()


def _on_links_changed(sender, action, **kwargs):
    if action.startswith("post_"):  # not again for the pre_ signal of the same change
        data_changed()


def _on_user_saved(sender, update_fields=None, **kwargs):
    # Authors' names appear on pages; a login only touches last_login, which no page shows.
    if update_fields is None or set(update_fields) != {"last_login"}:
        data_changed()


def connect_signals() -> None:
    for model in TRACKED_MODELS:
        # A trail write that moves a commitment's state also rewrites the commitment (data_changed).
        handler = _on_trail_write if model in TRAIL_MODELS else _on_write
        post_save.connect(handler, sender=model, dispatch_uid=f"tracker-stamp-save-{model.__name__}")
        post_delete.connect(handler, sender=model, dispatch_uid=f"tracker-stamp-delete-{model.__name__}")
    m2m_changed.connect(
        _on_links_changed, sender=Commitment.themes.through, dispatch_uid="tracker-stamp-themes"
    )
    # Both commitments' pages show a dependency ("blocked by" on one, "blocks" on the other), and
    # blockers decide which commitments the lists and the overview flag as blocked.
    m2m_changed.connect(
        _on_links_changed, sender=Commitment.blocked_by.through, dispatch_uid="tracker-stamp-blockers"
    )
    post_save.connect(_on_user_saved, sender=get_user_model(), dispatch_uid="tracker-stamp-user")
