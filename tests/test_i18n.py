"""Two languages (issue 15): the switch, remembering the choice, the first visit, <html lang>, cached
pages per language, localized dates and percentages, compiling the catalogues, the lockout page."""

import datetime
import os
import re

import polib
import pytest
from django.core.management import call_command
from django.test import override_settings
from django.utils import translation
from django.utils.formats import number_format

from tests.conftest import PASSWORD
from tracker.formatting import integer_writer
from tracker.forms import StatusUpdateForm
from tracker.models import Commitment, Profile
from tracker.templatetags.tracker_tags import percent

COOKIE = "django_language"


def html_lang(response) -> str:
    return re.search(r'<html lang="([^"]*)"', response.content.decode()).group(1)


def switch(client, language, next_url="/accounts/login/"):
    return client.post("/i18n/setlang/", {"language": language, "next": next_url})


# --- the switch ------------------------------------------------------------------------------------


def test_the_switch_is_on_the_login_page_each_language_named_in_itself(client, db):
    page = client.get("/accounts/login/").content.decode()
    assert 'action="/i18n/setlang/"' in page
    assert 'name="csrfmiddlewaretoken"' in page
    assert '<input type="hidden" name="next" value="/accounts/login/">' in page
    assert '<span class="current-language" lang="en" aria-current="true">English</span>' in page
    assert 'name="language" value="fr" lang="fr">Français</button>' in page


def test_switching_works_without_a_login_and_returns_to_the_same_page(client, db):
    response = switch(client, "fr")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"
    assert response.cookies[COOKIE].value == "fr"
    page = client.get("/accounts/login/")
    assert html_lang(page) == "fr"
    assert (
        '<span class="current-language" lang="fr" aria-current="true">Français</span>'
        in page.content.decode()
    )


def test_switching_keeps_the_query_string_of_the_page(viewer_client, seed):
    response = switch(viewer_client, "fr", "/commitments/?q=space&page=1")
    assert response["Location"] == "/commitments/?q=space&page=1"


def test_an_unknown_language_code_changes_nothing_and_is_no_error(client, db):
    response = switch(client, "xx-evil")
    assert response.status_code == 302
    assert COOKIE not in response.cookies
    assert html_lang(client.get("/accounts/login/")) == "en"


def test_a_tampered_language_cookie_gives_english(client, db):
    client.cookies[COOKIE] = "<script>alert(1)</script>"
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    assert html_lang(response) == "en"


def test_a_switch_to_another_site_stays_here(client, db):
    response = switch(client, "fr", "https://evil.example/")
    assert response.status_code == 302
    assert "evil.example" not in response["Location"]


def test_switching_needs_a_post(client, db):
    assert client.get("/i18n/setlang/?language=fr").status_code == 405


# --- remembered for the person; the browser's choice at first ---------------------------------------


def test_a_logged_in_switch_is_stored_on_the_profile(viewer_client, viewer):
    switch(viewer_client, "fr", "/")
    assert Profile.objects.get(user=viewer).language == "fr"
    switch(viewer_client, "en", "/")
    assert Profile.objects.get(user=viewer).language == "en"


def test_an_unknown_code_is_not_stored(viewer_client, viewer):
    switch(viewer_client, "xx", "/")
    assert not Profile.objects.filter(user=viewer).exists()


def test_the_stored_language_applies_at_login_on_another_computer(client, viewer, seed):
    Profile.objects.create(user=viewer, language="fr")
    response = client.post("/accounts/login/", {"username": "viewer", "password": PASSWORD})
    assert response.status_code == 302
    assert response.cookies[COOKIE].value == "fr"
    assert html_lang(client.get("/")) == "fr"


def test_without_a_stored_language_login_leaves_the_cookie_alone(client, viewer, db):
    response = client.post("/accounts/login/", {"username": "viewer", "password": PASSWORD})
    assert response.status_code == 302
    assert COOKIE not in response.cookies


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        ("fr-FR,fr;q=0.9,en;q=0.5", "fr"),
        ("fr-CA", "fr"),
        ("en-US,en;q=0.9", "en"),
        ("de-DE", "en"),
        ("", "en"),
    ],
)
def test_the_first_visit_follows_the_browser(client, db, accept, expected):
    assert html_lang(client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE=accept)) == expected


def test_the_cookie_wins_over_the_browser(client, db):
    client.cookies[COOKIE] = "en"
    assert html_lang(client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="fr")) == "en"


@pytest.mark.parametrize("url", ["/", "/commitments/", "/agencies/", "/changes/", "/following/"])
def test_pages_say_their_language(viewer_client, seed, url):
    assert html_lang(viewer_client.get(url)) == "en"
    viewer_client.cookies[COOKIE] = "fr"
    assert html_lang(viewer_client.get(url)) == "fr"


@pytest.mark.parametrize("status", [403, 404])
def test_error_pages_say_their_language(viewer_client, seed, status):
    viewer_client.cookies[COOKIE] = "fr"
    url = "/no-such-page/" if status == 404 else "/sources/new/"  # a viewer may not add sources
    response = viewer_client.get(url)
    assert response.status_code == status
    assert html_lang(response) == "fr"


def test_the_server_error_page_says_its_language():
    from django.template.loader import get_template

    with translation.override("fr"):
        assert '<html lang="fr">' in get_template("500.html").render()


# --- cached pages, dates and numbers -----------------------------------------------------------------


def test_a_cached_page_is_cached_per_language(viewer_client, seed):
    commitment = Commitment.objects.order_by("pk").first()
    Commitment.objects.filter(pk=commitment.pk).update(due_on=datetime.date(2031, 6, 30))
    from tracker.caching import data_changed

    data_changed()
    url = commitment.get_absolute_url()
    english = viewer_client.get(url).content.decode()
    assert "30 June 2031" in english
    viewer_client.cookies[COOKIE] = "fr"
    french = viewer_client.get(url).content.decode()  # the English body is cached by now
    assert "30 juin 2031" in french
    assert "30 June 2031" not in french
    viewer_client.cookies[COOKIE] = "en"
    assert "30 June 2031" in viewer_client.get(url).content.decode()


def test_the_list_shows_short_dates_for_the_language(viewer_client, seed):
    commitment = Commitment.objects.order_by("pk").first()
    Commitment.objects.filter(pk=commitment.pk).update(due_on=datetime.date(2031, 7, 1))
    from tracker.caching import data_changed

    data_changed()
    assert "1 Jul 2031" in viewer_client.get("/commitments/?sort=due").content.decode()
    viewer_client.cookies[COOKIE] = "fr"
    assert "1 juil. 2031" in viewer_client.get("/commitments/?sort=due").content.decode()


@pytest.mark.parametrize(
    ("language", "value", "decimals", "shown"),
    [
        ("en", 12.5, 1, "12.5%"),
        ("fr", 12.5, 1, "12,5\u00a0%"),
        ("en", 40, 0, "40%"),
        ("fr", 40, 0, "40\u00a0%"),
    ],
)
def test_percentages_are_written_for_the_language(language, value, decimals, shown):
    with translation.override(language):
        assert percent(value, decimals) == shown


def test_a_percentage_of_nothing_is_a_dash():
    assert percent(None) == "—"


@pytest.mark.parametrize("language", ["en", "fr"])
@pytest.mark.parametrize("grouped", [False, True])
def test_whole_numbers_written_once_for_a_page_read_as_django_writes_them(settings, language, grouped):
    """The overview's cards write their counts with formatting.integer_writer: as a template (Django's
    number_format) writes them, thousands separated or not as the settings say."""
    settings.USE_THOUSAND_SEPARATOR = grouped
    with translation.override(language):
        write = integer_writer()
        for n in (0, 7, 999, 1000, 12345, 1234567):
            assert write(n) == number_format(n)


@pytest.mark.parametrize("typed", ["12,5", "12.5"])
def test_a_decimal_progress_is_refused_with_a_clear_message(seed, typed):
    form = StatusUpdateForm(
        data={"progress": typed, "status": "on_track", "text": "x", "reported_on": "2024-01-01"}
    )
    assert not form.is_valid()
    assert "whole number from 0 to 100" in form.errors["progress"][0]


# --- the lockout page --------------------------------------------------------------------------------


def test_the_lockout_page_says_when_to_try_again_and_links_back(client, viewer):
    for _ in range(5):
        response = client.post(
            "/accounts/login/", {"username": "viewer", "password": "wrong"}, REMOTE_ADDR="10.9.9.9"
        )
    assert response.status_code == 429
    page = response.content.decode()
    assert "try again in 30 minutes, at <time datetime=" in page
    assert '<a href="/accounts/login/">' in page
    assert html_lang(response) == "en"


# --- compiling the catalogues --------------------------------------------------------------------------


def write_catalogue(folder, language="fr"):
    messages = folder / language / "LC_MESSAGES"
    messages.mkdir(parents=True)
    catalogue = polib.POFile()
    catalogue.metadata = {"Content-Type": "text/plain; charset=UTF-8", "Language": language}
    catalogue.append(polib.POEntry(msgid="Commitments", msgstr="Engagements"))
    catalogue.save(str(messages / "django.po"))
    return messages / "django.po"


def test_compile_translations_writes_a_mo_django_can_read(tmp_path):
    po = write_catalogue(tmp_path)
    with override_settings(LOCALE_PATHS=[tmp_path]):
        call_command("compile_translations", verbosity=0)
    mo = polib.mofile(str(po.with_suffix(".mo")))
    assert mo.find("Commitments").msgstr == "Engagements"


def test_compile_translations_leaves_an_up_to_date_mo_alone_and_redoes_an_older_one(tmp_path, capsys):
    po = write_catalogue(tmp_path)
    with override_settings(LOCALE_PATHS=[tmp_path]):
        call_command("compile_translations")
        mo = po.with_suffix(".mo")
        os.utime(po, (1_000_000, 1_000_000))  # the .po is now older than its .mo
        call_command("compile_translations")
        assert "0 catalogue(s) compiled" in capsys.readouterr().out
        os.utime(mo, (1_000, 1_000))  # and now the .mo is the older one
        call_command("compile_translations")
        assert "1 catalogue(s) compiled" in capsys.readouterr().out


def test_compile_translations_without_a_locale_folder_does_nothing(tmp_path, capsys):
    with override_settings(LOCALE_PATHS=[tmp_path / "locale"]):
        call_command("compile_translations")
    assert "0 catalogue(s) compiled" in capsys.readouterr().out


def test_a_broken_catalogue_is_a_clear_error(tmp_path):
    messages = tmp_path / "fr" / "LC_MESSAGES"
    messages.mkdir(parents=True)
    (messages / "django.po").write_text("this is not a catalogue\n")
    from django.core.management.base import CommandError

    with override_settings(LOCALE_PATHS=[tmp_path]), pytest.raises(CommandError, match="could not be read"):
        call_command("compile_translations", verbosity=0)
