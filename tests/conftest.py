import functools

import pytest
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, Permission, User
from django.core.cache import cache
from django.test import override_settings
from django.utils import translation

from tests import redis_server
from tests.seeding import load_default_dialogue
from tracker.models import Agency, Commitment, Dialogue, Participation, Role, Theme
from tracker.roles import sync_roles

PASSWORD = "a-long-test-password-42"


@functools.cache
def password_hash():
    """PASSWORD hashed once per test run, with the project's real hasher: hashing costs a fifth of a
    second of CPU by design, and the fixtures below make users for most tests. A login through the
    form still checks the password against this hash, as it would any other."""
    return make_password(PASSWORD)


@pytest.fixture(scope="session", autouse=True)
def cache_folder_per_worker(request):
    """Under pytest-xdist (`make test` runs one worker per core) each worker gets its own cache folder.
    The workers' test databases are separate and can hand out the same data stamp, so a shared folder
    would let one worker serve pages another computed, and one worker's cache.clear() empty the other's."""
    worker = getattr(request.config, "workerinput", {}).get("workerid")
    if worker is None:
        yield
        return
    default = settings.CACHES["default"]
    with override_settings(CACHES={"default": {**default, "LOCATION": f"{default['LOCATION']}-{worker}"}}):
        yield


@pytest.fixture(scope="session", autouse=True)
def evidence_files_in_a_temporary_folder(tmp_path_factory):
    """Evidence files stored by tests go to a folder of their own (one per worker), never into the
    project's var/evidence."""
    storages = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path_factory.mktemp("evidence"))},
        },
    }
    with override_settings(STORAGES=storages):
        yield


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory):
    """The address of a Redis server of this test run's own (tests/redis_server.py), one per worker."""
    redis_server.skip_or_fail_without_redis()
    process, url = redis_server.start(tmp_path_factory.mktemp("redis"))
    yield url
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture(autouse=True)
def site_language():
    """Each test starts in the site's language. LocaleMiddleware activates a request's language in
    the thread and leaves it there (the next request activates its own), so after a French request
    code run outside a request (a form, a command) would otherwise speak French in the next test."""
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def empty_cache():
    """Each test starts with nothing cached: the data stamp is rolled back between tests."""
    cache.clear()


@pytest.fixture
def seed(db):
    """The default dialogue, as `make run` loads it (copied in after the first time: tests/seeding.py)."""
    load_default_dialogue()
    return Dialogue.objects.get(slug="us-france-space-dialogue")


def _user(username, group=None, **extra):
    user = User.objects.create(username=username, password=password_hash(), **extra)
    if group:
        # Browser tests flush the database between tests, taking the migration-made groups with it.
        sync_roles(Group, Permission)
        user.groups.add(Group.objects.get(name=group))
    return user


@pytest.fixture
def viewer(db):
    return _user("viewer", "Viewers")


@pytest.fixture
def editor(db):
    return _user("editor", "Editors", is_staff=True)


@pytest.fixture
def superuser(db):
    return _user("root", is_staff=True, is_superuser=True)


@pytest.fixture
def viewer_client(client, viewer):
    client.force_login(viewer)
    return client


@pytest.fixture
def editor_client(client, editor):
    client.force_login(editor)
    return client


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    return client


@pytest.fixture
def make_commitments(db):
    """Build n commitments, each with two themes and two agencies, for query-count tests."""

    def make(n, dialogue=None):
        dialogue = dialogue or Dialogue.objects.create(
            name=f"Dialogue {Dialogue.objects.count()}",
            slug=f"d{Dialogue.objects.count()}",
            parties="US,FR",
            announced_on="2024-01-01",
        )
        themes = [
            Theme.objects.get_or_create(slug=f"t{i}", defaults={"name": f"Theme {i}"})[0] for i in range(2)
        ]
        agencies = [
            Agency.objects.get_or_create(slug=f"a{i}", defaults={"name": f"Agency {i}", "country": c})[0]
            for i, c in enumerate(["US", "FR"])
        ]
        made = []
        for i in range(n):
            commitment = Commitment.objects.create(
                dialogue=dialogue,
                slug=f"c{Commitment.objects.count()}",
                title=f"Commitment {i}",
                announced_on="2024-01-01",
            )
            commitment.themes.set(themes)
            Participation.objects.create(commitment=commitment, agency=agencies[0], role=Role.LEAD)
            Participation.objects.create(commitment=commitment, agency=agencies[1], role=Role.PARTNER)
            made.append(commitment)
        return made

    return make
