"""Page data cached until the tracker's data changes.

Every write to a tracked model (any save, delete or theme link, from a page, the admin, the loader
or a command) replaces the token in the single DataStamp row, inside the writer's own transaction.
Readers read the token first (one small query) and file what they compute under it, so:

- a cached answer is never older than the data a reader could see when it started;
- a write is visible to every process and machine at once, whatever cache each one uses: the
  token lives in the database;
- nothing has to know which cached answers a given write affects.

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
from django.db import DatabaseError
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
STAMP_ID = 1


def data_changed() -> None:
    """Give the data a new token: every answer cached so far is now out of date."""
    if getattr(_batch, "open", False):
        _batch.changed = True  # one new token when the batch ends (see one_change)
        return
    values = {"token": uuid.uuid4().hex, "changed_at": timezone.now()}
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
    _batch.open, _batch.changed = True, False
    try:
        yield
    except BaseException:
        changed, _batch.open, _batch.changed = _batch.changed, False, False
        if changed:
            # Usually the transaction is rolling back and takes the writes with it; if the caller
            # keeps them, the token must still move. A broken transaction refuses the query: fine.
            with suppress(DatabaseError):
                data_changed()
        raise
    changed, _batch.open, _batch.changed = _batch.changed, False, False
    if changed:
        data_changed()


def data_token() -> str:
    """The current token, read fresh from the database (1 query).

    Without a stamp row (a database emptied by hand) there is nothing to key on: a new random token
    each time means nothing is shared until the next write creates the row.
    """
    token = DataStamp.objects.filter(pk=STAMP_ID).values_list("token", flat=True).first()
    return token or uuid.uuid4().hex


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
    """

    cache_seconds = settings.TRACKER_CACHE_SECONDS
    day = None

    @cached_property
    def token(self) -> str:
        return data_token()

    def cache_parts(self) -> tuple:
        return ()

    @cached_property
    def cache_key(self) -> str:
        return versioned_key(self.token, (self.day, self.cache_parts()))


def _on_write(sender, **kwargs):
    data_changed()


def _on_links_changed(sender, action, **kwargs):
    if action.startswith("post_"):  # not again for the pre_ signal of the same change
        data_changed()


def _on_user_saved(sender, update_fields=None, **kwargs):
    # Authors' names appear on pages; a login only touches last_login, which no page shows.
    if update_fields is None or set(update_fields) != {"last_login"}:
        data_changed()


def connect_signals() -> None:
    for model in TRACKED_MODELS:
        post_save.connect(_on_write, sender=model, dispatch_uid=f"tracker-stamp-save-{model.__name__}")
        post_delete.connect(_on_write, sender=model, dispatch_uid=f"tracker-stamp-delete-{model.__name__}")
    m2m_changed.connect(
        _on_links_changed, sender=Commitment.themes.through, dispatch_uid="tracker-stamp-themes"
    )
    # Both commitments' pages show a dependency ("blocked by" on one, "blocks" on the other), and
    # blockers decide which commitments the lists and the overview flag as blocked.
    m2m_changed.connect(
        _on_links_changed, sender=Commitment.blocked_by.through, dispatch_uid="tracker-stamp-blockers"
    )
    post_save.connect(_on_user_saved, sender=get_user_model(), dispatch_uid="tracker-stamp-user")
