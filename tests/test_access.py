import os
import subprocess
import sys

import pytest
from django.core.management import call_command
from django.db import DatabaseError


def test_healthz_answers_without_login_and_without_data(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_healthz_says_503_when_the_database_does_not_answer(client, db, monkeypatch):
    class UnreachableDatabase:
        def cursor(self):
            raise DatabaseError("connection refused")

    monkeypatch.setattr("tracker.views.connection", UnreachableDatabase())
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable"}


@pytest.mark.parametrize(
    "path", ["/admin/", "/admin/tracker/commitment/", "/admin/tracker/statusupdate/add/"]
)
def test_anonymous_admin_requests_are_sent_to_the_admin_login(client, db, path):
    response = client.get(path)
    assert response.status_code == 302
    # The admin index uses its own login page; every other admin URL is caught by the login middleware.
    assert response["Location"].split("?")[0] in {"/admin/login/", "/accounts/login/"}
    assert f"next={path}" in response["Location"]


def test_login_page_is_public_and_styled(client, db):
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    assert b"css/app.css" in response.content


def test_ensure_superuser_uses_the_environment_and_is_idempotent(db, monkeypatch, capsys):
    from django.contrib.auth.models import User

    monkeypatch.setenv("DJANGO_SUPERUSER_USERNAME", "chief")
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "a-long-test-password-42")
    call_command("ensure_superuser")
    call_command("ensure_superuser")
    user = User.objects.get(username="chief")
    assert user.is_superuser and user.check_password("a-long-test-password-42")
    assert "already exists" in capsys.readouterr().out


def test_ensure_superuser_generates_and_prints_a_password_once(db, monkeypatch, capsys):
    from django.contrib.auth.models import User

    monkeypatch.delenv("DJANGO_SUPERUSER_USERNAME", raising=False)
    monkeypatch.delenv("DJANGO_SUPERUSER_PASSWORD", raising=False)
    call_command("ensure_superuser")
    password = capsys.readouterr().out.split("password: ")[1].split()[0]
    assert User.objects.get(username="admin").check_password(password)
    call_command("ensure_superuser")
    assert "password:" not in capsys.readouterr().out


def test_production_settings_refuse_to_start_without_a_secret_key():
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env["DJANGO_DEBUG"] = "0"
    result = subprocess.run(
        [sys.executable, "-c", "import config.settings"], env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


def test_the_data_migration_creates_the_roles(db):
    from django.contrib.auth.models import Group

    perms = {g.name: set(g.permissions.values_list("codename", flat=True)) for g in Group.objects.all()}
    assert "view_commitment" in perms["Viewers"] and "add_statusupdate" not in perms["Viewers"]
    assert {"add_statusupdate", "change_commitment"} <= perms["Editors"]
    assert not any(p.startswith("delete_") for p in perms["Editors"])
    assert "change_statusupdate" not in perms["Editors"]  # the trail is append-only
