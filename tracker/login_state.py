"""Who is asking: the session and the user every request reads before its view, each in one query
compiled once (tracker/compiled.py) instead of built by the ORM for every request.

Django's database session store and ModelBackend, changed only in how they read: the same rows,
made into the same instances (compiled.ModelRows); writes, logins and every other step are theirs.
Building each of those two small queries took the ORM about 0.3 ms of CPU, as long as PostgreSQL
took to answer it: on a page served from the cache they were a tenth of the request
(settings.SESSION_ENGINE and AUTHENTICATION_BACKENDS name these classes).
"""

import datetime
import functools

from django.contrib.auth import backends, get_user_model
from django.contrib.sessions.backends import db
from django.db import connection
from django.utils import timezone

from .compiled import CompiledQuery, ModelRows, compile_once


class SessionStore(db.SessionStore):
    """Django's database sessions, the session's row read through a query compiled once."""

    def _get_session_from_db(self):
        query, made = _compiled_session(connection.vendor, self.model)
        found = made.instances(query.rows([self.session_key, timezone.now()]))
        if found:
            return found[0]
        self._session_key = None  # as Django's own store does when the session is unknown or expired
        return None


def _session_query(model, session_key, now):
    """The session's row, as Django's store reads it: unexpired, by its key."""
    return model.objects.filter(session_key=session_key, expire_date__gt=now).order_by()


@functools.cache
def _compiled_session(vendor: str, model) -> tuple[CompiledQuery, ModelRows]:
    build = lambda values: _session_query(model, *values)  # noqa: E731
    return compile_once(build, [str, datetime.datetime]), ModelRows(build(["", timezone.now()]))


class ModelBackend(backends.ModelBackend):
    """Django's ModelBackend (logins, permissions), the logged-in user read through a query compiled once."""

    def get_user(self, user_id):
        query, made = _compiled_user(connection.vendor)
        found = made.instances(query.rows([user_id]))
        if found and self.user_can_authenticate(found[0]):
            return found[0]
        return None


def _user_query(user_id):
    return get_user_model()._default_manager.filter(pk=user_id).order_by()


@functools.cache
def _compiled_user(vendor: str) -> tuple[CompiledQuery, ModelRows]:
    return compile_once(lambda values: _user_query(values[0]), [int]), ModelRows(_user_query(-1))
