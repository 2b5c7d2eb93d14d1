"""The weekly digest (manage.py send_digests), sent through a real SMTP server on 127.0.0.1 and read
back as its readers would get it."""

import datetime
import logging
import re
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.core.mail.backends.smtp import EmailBackend
from django.core.management import call_command
from django.db import connection, connections
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.digest_world import build_world, readers, smtp_server
from tracker.models import DigestSent, DigestStatus, DigestSubscription, Follow
from tracker.selectors.digest import iso_week
from tracker.services import digests as digest_service
from tracker.services.digests import digest_claim, digests_send, unsubscribe_token

pytestmark = pytest.mark.django_db

SITE = "http://tracker.example.org"
THIS_WEEK = iso_week(timezone.localdate())


@pytest.fixture
def world():
    return build_world()


@pytest.fixture
def mailbox():
    with smtp_server() as box:
        yield box


def text_of(message) -> str:
    return message.get_body(("plain",)).get_content().replace("\r\n", "\n")


def html_of(message) -> str:
    return message.get_body(("html",)).get_content()


def links(message) -> set[str]:
    """Every link to the site in both parts, as paths."""
    found = re.findall(rf"{re.escape(SITE)}(/[^\s\"<>]*)", text_of(message))
    found += re.findall(rf'href="{re.escape(SITE)}(/[^"]*)"', html_of(message))
    return set(found)


# --- what one digest says ---------------------------------------------------------------------------


def test_a_follower_receives_one_email_with_headers_and_both_parts(world, mailbox):
    call_command("send_digests")

    assert mailbox.recipients() == ["ann@example.org"]
    message = mailbox.messages[0]
    assert message["To"] == "Ann Lefèvre <ann@example.org>"
    assert message["From"] == "Commitments Tracker <tracker@example.org>"
    assert message["Subject"] == f"Your weekly digest ({THIS_WEEK}): 5 commitments to look at"
    # (A long header is folded onto a second line: unfolded, it starts with the folding space.)
    assert (
        message["List-Unsubscribe"].strip()
        == f"<{SITE}/digest/unsubscribe/{unsubscribe_token(world['ann'])}/>"
    )
    assert message.get_content_type() == "multipart/alternative"
    assert "Hello Ann Lefèvre," in text_of(message)
    assert "Hello Ann Lefèvre," in html_of(message)
    assert html_of(message).lstrip().startswith("<!doctype html>")


def section_of(text: str, dialogue: str) -> str:
    """The part of the text email about one dialogue (up to the next dialogue or the footer)."""
    start = text.index(dialogue.upper() + "\n")
    rest = text[start + len(dialogue) :]
    end = re.search(r"\n[A-Z][A-Z ]+\n|\n--\n", rest)
    return text[start : start + len(dialogue) + end.start()]


def test_the_digest_reports_each_kind_by_dialogue_and_only_what_is_followed(world, mailbox):
    call_command("send_digests")
    text = text_of(mailbox.messages[0])

    space = section_of(text, "Space dialogue")
    for heading, title in [
        ("Overdue", "Exchange Earth observation data"),
        ("Due in the next 14 days", "Publish the joint climate risk analysis"),
        ("Slipped this week", "Launch the joint STEM programme"),
        ("New updates this week", "Launch the joint STEM programme"),
        ("Went stale (no update for 90 days)", "Agree norms for debris removal"),
    ]:
        after = space[space.index(heading) :]
        assert after.split("\n\n- ", 1)[1].startswith(title), heading
    assert "a week ago: On track, 60%" in space
    assert "The launch vehicle is late." in space
    # The followed commitment of another dialogue, under that dialogue.
    assert "Map the ocean floor together" in section_of(text, "Ocean dialogue")
    # Nothing to report, finished, or not followed.
    for title in ["Hold the annual plenary", "Sign the framework agreement", "Share weather satellite slots"]:
        assert title not in text
        assert title not in html_of(mailbox.messages[0])
    # Dialogues in name order.
    assert text.index("OCEAN DIALOGUE") < text.index("SPACE DIALOGUE")


def test_every_link_resolves_the_pages_for_a_logged_in_reader_the_unsubscribe_link_for_anyone(
    world, mailbox, client
):
    call_command("send_digests")
    message = mailbox.messages[0]
    paths = links(message)
    unsubscribe = f"/digest/unsubscribe/{unsubscribe_token(world['ann'])}/"
    assert unsubscribe in paths
    assert {world[key].get_absolute_url() for key in ("overdue", "due_soon", "slipped", "ocean")} <= paths
    assert "/dialogues/space/" in paths

    client.force_login(world["ann"])
    for path in paths - {unsubscribe}:
        assert client.get(path).status_code == 200, path
    anonymous = Client()
    page = anonymous.get(unsubscribe)
    assert page.status_code == 200
    assert "Stop sending me the weekly digest" in page.content.decode()


def test_inactive_addressless_unsubscribed_and_quiet_followers_get_nothing(world, mailbox):
    call_command("send_digests")

    assert mailbox.recipients() == ["ann@example.org"]
    assert set(DigestSent.objects.values_list("user__username", flat=True)) == {"ann"}


def test_nobody_following_anything_means_no_email_at_all(world, mailbox):
    Follow.objects.all().delete()
    call_command("send_digests")
    assert mailbox.messages == []


# --- once per person per week --------------------------------------------------------------------


def test_running_it_again_the_same_week_sends_nothing_more(world, mailbox):
    call_command("send_digests")
    call_command("send_digests")

    assert mailbox.recipients() == ["ann@example.org"]
    sent = DigestSent.objects.get(user=world["ann"])
    assert (sent.week, sent.status, sent.items, sent.attempts) == (THIS_WEEK, DigestStatus.SENT, 5, 1)
    assert sent.sent_at is not None


def test_a_digest_claimed_by_another_host_meanwhile_is_left_to_it(world, mailbox, monkeypatch):
    """The other host claims Ann's digest after this run chose its recipients, before it claims."""
    real_for_user = digest_service.DigestWeek.for_user

    def other_host_claims_first(self, user):
        digest_claim(user=user, week=self.week, now=timezone.now())
        return real_for_user(self, user)

    monkeypatch.setattr(digest_service.DigestWeek, "for_user", other_host_claims_first)
    run = digests_send()

    assert (run.sent, run.taken) == ([], 1)
    assert mailbox.messages == []


def test_a_second_claim_of_the_same_digest_is_refused():
    ann = User.objects.create(username="ann", email="ann@example.org")
    now = timezone.now()
    assert digest_claim(user=ann, week="2026-W01", now=now) is not None
    assert digest_claim(user=ann, week="2026-W01", now=now) is None
    assert digest_claim(user=ann, week="2026-W02", now=now) is not None


@pytest.mark.django_db(transaction=True)
def test_two_hosts_running_at_once_send_each_digest_once(mailbox):
    world = build_world()
    readers(6, world["space"])
    start = threading.Barrier(2)
    runs, errors = [], []

    def host():
        try:
            start.wait(timeout=10)
            runs.append(digests_send())
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=host) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    expected = ["ann@example.org"] + [f"reader{i}@example.org" for i in range(6)]
    assert mailbox.recipients() == sorted(expected)
    assert sum(len(run.sent) for run in runs) == 7


class Crash(BaseException):
    """The process going down mid-run (as Ctrl-C or SIGTERM would), not an error one message has."""


class CrashingBackend(EmailBackend):
    """The real SMTP backend, until it has sent `limit` messages: then the run dies."""

    def __init__(self, limit, **kwargs):
        super().__init__(**kwargs)
        self.limit, self.count = limit, 0

    def send_messages(self, messages):
        if self.count >= self.limit:
            raise Crash
        sent = super().send_messages(messages)
        self.count += sent
        return sent


def test_a_run_interrupted_half_way_and_run_again_sends_the_rest_and_nobody_twice(world, mailbox):
    readers(5, world["space"])

    with pytest.raises(Crash):
        digests_send(connection=CrashingBackend(limit=3))
    assert len(mailbox.messages) == 3
    # The one being sent when it died is released, not left claimed.
    assert DigestSent.objects.filter(status=DigestStatus.FAILED).count() == 1

    call_command("send_digests")

    expected = ["ann@example.org"] + [f"reader{i}@example.org" for i in range(5)]
    assert mailbox.recipients() == sorted(expected)
    assert DigestSent.objects.filter(status=DigestStatus.SENT).count() == 6


class FlakyBackend(EmailBackend):
    """The real SMTP backend, except that the server drops the connection at message `fail_at`."""

    def __init__(self, fail_at, **kwargs):
        super().__init__(**kwargs)
        self.fail_at, self.count = fail_at, 0

    def send_messages(self, messages):
        self.count += 1
        if self.count == self.fail_at:
            import smtplib

            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        return super().send_messages(messages)


def test_a_failed_send_is_recorded_the_rest_are_sent_and_the_next_run_retries_it(world, mailbox, caplog):
    readers(3, world["space"])

    run = digests_send(connection=FlakyBackend(fail_at=2))
    assert (len(run.sent), len(run.failed)) == (3, 1)
    failed = DigestSent.objects.get(status=DigestStatus.FAILED)
    assert "Connection unexpectedly closed" in failed.error
    assert "could not be sent; the next run retries it" in caplog.text

    call_command("send_digests")
    assert len(mailbox.messages) == 4
    assert len(set(mailbox.recipients())) == 4
    assert DigestSent.objects.get(pk=failed.pk).attempts == 2


def test_a_run_that_fails_to_send_exits_non_zero_for_cron_and_systemd(world, mailbox):
    mailbox.refuse.add("nobody@example.org")
    with override_settings(EMAIL_PORT=1):  # nothing listens there: the connection is refused
        with pytest.raises(SystemExit) as exited:
            call_command("send_digests")
    assert exited.value.code == 1
    assert DigestSent.objects.get(user=world["ann"]).status == DigestStatus.FAILED


def test_a_claim_left_by_a_run_that_died_is_taken_over_once_it_expires(world, mailbox):
    claim = DigestSent.objects.create(user=world["ann"], week=THIS_WEEK, claimed_at=timezone.now())

    call_command("send_digests")
    assert mailbox.messages == []  # another run may be sending it right now

    DigestSent.objects.filter(pk=claim.pk).update(claimed_at=timezone.now() - datetime.timedelta(minutes=31))
    call_command("send_digests")
    assert mailbox.recipients() == ["ann@example.org"]
    assert DigestSent.objects.get(pk=claim.pk).status == DigestStatus.SENT


def test_a_refused_address_is_logged_and_recorded_and_the_others_still_get_theirs(world, mailbox, caplog):
    readers(2, world["space"])
    mailbox.refuse.add("reader0@example.org")

    with caplog.at_level(logging.WARNING, logger="tracker.digests"):
        run = digests_send()

    assert mailbox.recipients() == ["ann@example.org", "reader1@example.org"]
    refused = DigestSent.objects.get(user__username="reader0")
    assert refused.status == DigestStatus.REFUSED
    assert "550" in refused.error
    assert "reader0@example.org refused by the mail server" in caplog.text
    assert len(run.refused) == 1
    # Refused for good: not tried again this week.
    digests_send()
    assert len(mailbox.messages) == 2


# --- unsubscribing ---------------------------------------------------------------------------------


def unsubscribe_path(token: str) -> str:
    return f"/digest/unsubscribe/{token}/"


def test_opening_the_link_changes_nothing_the_button_stops_only_the_digest(world, client):
    ann = world["ann"]
    path = unsubscribe_path(unsubscribe_token(ann))

    assert client.get(path).status_code == 200
    assert not DigestSubscription.objects.filter(user=ann).exists()

    page = client.post(path, {"action": "unsubscribe"})
    assert page.status_code == 200
    assert "no more weekly digests will be sent to ann@example.org" in page.content.decode()
    assert DigestSubscription.objects.get(user=ann).digest_enabled is False
    ann.refresh_from_db()
    assert ann.is_active and Follow.objects.filter(user=ann).count() == 2
    assert "Send me the weekly digest again" in client.get(path).content.decode()

    client.post(path, {"action": "subscribe"})
    assert DigestSubscription.objects.get(user=ann).digest_enabled is True


def test_the_confirmation_form_carries_its_csrf_token_and_works_with_csrf_checks_on(world):
    client = Client(enforce_csrf_checks=True)
    path = unsubscribe_path(unsubscribe_token(world["ann"]))
    page = client.get(path)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode()).group(1)
    assert client.post(path, {"action": "unsubscribe"}).status_code == 403  # a forged post
    assert not DigestSubscription.objects.filter(user=world["ann"]).exists()
    page = client.post(path, {"action": "unsubscribe", "csrfmiddlewaretoken": token})
    assert page.status_code == 200
    assert DigestSubscription.objects.get(user=world["ann"]).digest_enabled is False


def test_after_unsubscribing_no_digest_is_sent(world, mailbox, client):
    client.post(unsubscribe_path(unsubscribe_token(world["ann"])), {"action": "unsubscribe"})
    call_command("send_digests")
    assert mailbox.messages == []


def tampered(token: str) -> list[str]:
    user_id, signature = token.split(":", 1)
    return [
        f"{int(user_id) + 1}:{signature}",  # another user's id under Ann's signature
        f"{user_id}:{signature[:-2]}xx",
        user_id,
        "not-a-token",
    ]


def test_a_tampered_link_or_one_signed_for_something_else_is_refused_and_changes_nothing(world, client):
    from django.core import signing

    token = unsubscribe_token(world["ann"])
    bob_elsewhere = signing.Signer(salt="tracker.calendar.feed").sign(str(world["bob"].pk))
    for bad in [*tampered(token), bob_elsewhere, signing.Signer().sign(str(world["bob"].pk))]:
        for method in (client.get, client.post):
            page = method(unsubscribe_path(bad))
            assert page.status_code == 400, bad
            assert "This unsubscribe link is not valid" in page.content.decode()
    assert not DigestSubscription.objects.exclude(user=world["eve"]).exists()


def test_a_link_for_an_account_that_no_longer_exists_is_a_404(world, client):
    gone = User.objects.create(username="gone", email="gone@example.org")
    token = unsubscribe_token(gone)
    gone.delete()
    assert client.post(unsubscribe_path(token)).status_code == 404
    assert not DigestSubscription.objects.exclude(user=world["eve"]).exists()


# --- cost --------------------------------------------------------------------------------------------


def queries_of_a_run() -> int:
    with CaptureQueriesContext(connection) as captured:
        run = digests_send(connection=mail.get_connection("django.core.mail.backends.locmem.EmailBackend"))
    return len(captured), len(run.sent)


def test_a_run_costs_a_fixed_number_of_queries_per_reader_whatever_they_follow(world):
    readers(2, world["space"])
    small, sent_small = queries_of_a_run()

    DigestSent.objects.all().delete()
    more = readers(8, world["ocean"])[2:]
    for reader in more:  # more, and more kinds of, follows: the per-reader cost stays the same
        Follow.objects.create(user=reader, dialogue=world["space"])
        Follow.objects.create(user=reader, commitment=world["overdue"])
    large, sent_large = queries_of_a_run()

    per_reader = (large - small) / (sent_large - sent_small)
    # One SELECT (what they follow that has news), the claim's INSERT (in a savepoint here: the test
    # runs in a transaction) and the UPDATE that records the result.
    assert per_reader == int(per_reader) and per_reader <= 5
    assert small - per_reader * sent_small == large - per_reader * sent_large  # the fixed part


# --- settings -------------------------------------------------------------------------------------


def email_settings(**environment) -> list[str]:
    """EMAIL_BACKEND, EMAIL_HOST, EMAIL_PORT and EMAIL_USE_TLS as config/settings.py reads them
    from `environment`."""
    code = (
        "from django.conf import settings as s;"
        "print(s.EMAIL_BACKEND, s.EMAIL_HOST, s.EMAIL_PORT, s.EMAIL_USE_TLS, s.DEFAULT_FROM_EMAIL, sep='|')"
    )
    env = {"DJANGO_SETTINGS_MODULE": "config.settings", "PATH": "/usr/bin:/bin", **environment}
    out = subprocess.run(  # noqa: S603 - our own interpreter, a fixed script
        [sys.executable, "-c", "import django; django.setup();" + code],
        env=env,
        cwd=Path(__file__).resolve().parent.parent,
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.strip().split("|")


def test_email_settings_come_from_the_environment():
    assert email_settings(DJANGO_DEBUG="1")[0] == "django.core.mail.backends.console.EmailBackend"
    assert email_settings(
        DJANGO_DEBUG="1",
        EMAIL_HOST="smtp.agency.example",
        EMAIL_PORT="587",
        EMAIL_USE_TLS="1",
        DEFAULT_FROM_EMAIL="Tracker <tracker@agency.example>",
    ) == [
        "django.core.mail.backends.smtp.EmailBackend",
        "smtp.agency.example",
        "587",
        "True",
        "Tracker <tracker@agency.example>",
    ]


@override_settings(TRACKER_DIGEST_MAX_ITEMS=0)
def test_what_a_section_cannot_list_is_counted_and_linked_to_the_dialogues_list(world, client):
    with smtp_server() as mailbox:
        call_command("send_digests")
    text = text_of(mailbox.messages[0])
    assert "Exchange Earth observation data" not in text
    assert "…and 1 more in the dialogue's list: " in text
    more = {path for path in links(mailbox.messages[0]) if "?" in path}
    assert "/commitments/?dialogue=space&due=overdue" in more
    client.force_login(world["ann"])
    for path in more:
        page = client.get(path)
        assert page.status_code == 200, path
