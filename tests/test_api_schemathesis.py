"""Schemathesis drives every read of the API from its own OpenAPI schema (well- and ill-formed
parameters) through the whole Django stack: no server error, and every answer as the schema says."""

import json

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, settings

pytestmark = pytest.mark.django_db


def the_schema() -> dict:
    generated = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(generated))


schema = schemathesis.openapi.from_dict(the_schema())
schema.app = get_wsgi_application()


@pytest.fixture
def session_cookie(seed, viewer, client):
    """A logged-in viewer's session, for requests made straight to the WSGI application. As Django's
    test client does, the connection is kept open between requests: closing it would end the test's
    transaction (and, on SQLite in memory, the database)."""
    client.force_login(viewer)
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield {"Cookie": f"sessionid={client.cookies['sessionid'].value}"}
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_read_answers_as_its_schema_says(case, session_cookie):
    case.call_and_validate(headers=session_cookie)
