"""Shared by the digest tests and the digest's browser test: a real SMTP server on 127.0.0.1
(aiosmtpd) and a small world of followed commitments, each with something different to report."""

import datetime
import email
import email.policy
import socket
from dataclasses import dataclass, field

from aiosmtpd.controller import Controller
from django.contrib.auth.models import User
from django.test import override_settings
from django.utils import timezone

from tests.conftest import password_hash
from tests.factories import reason_for
from tracker.models import Commitment, Dialogue, Follow, Status, StatusUpdate
from tracker.services.digests import digest_subscription_set
from tracker.services.status_updates import status_update_create


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Mailbox:
    """What the SMTP server received, and which addresses it refuses (550) at RCPT."""

    refuse: set = field(default_factory=set)
    messages: list = field(default_factory=list)
    envelopes: list = field(default_factory=list)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.messages.append(email.message_from_bytes(envelope.original_content, policy=email.policy.default))
        return "250 Message accepted for delivery"

    def to(self, address) -> list:
        return [m for m in self.messages if address in m["To"]]

    def recipients(self) -> list[str]:
        return sorted(rcpt for _sender, rcpts in self.envelopes for rcpt in rcpts)


def smtp_server(site_url="http://tracker.example.org"):
    """A context manager: a running SMTP server on a free port of 127.0.0.1, with Django's SMTP
    backend pointed at it and the emails' links at `site_url`; yields its Mailbox."""
    from contextlib import contextmanager

    @contextmanager
    def running():
        mailbox = Mailbox()
        port = free_port()
        controller = Controller(mailbox, hostname="127.0.0.1", port=port)
        controller.start()
        try:
            with override_settings(
                EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
                EMAIL_HOST="127.0.0.1",
                EMAIL_PORT=port,
                EMAIL_HOST_USER="",
                EMAIL_HOST_PASSWORD="",
                EMAIL_USE_TLS=False,
                EMAIL_USE_SSL=False,
                EMAIL_TIMEOUT=10,
                DEFAULT_FROM_EMAIL="Commitments Tracker <tracker@example.org>",
                TRACKER_SITE_URL=site_url,
            ):
                yield mailbox
        finally:
            controller.stop()

    return running()


def days(n: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=n)


def report(commitment, author, status, progress, reported, recorded=None, text="Reported."):
    """An update reported on `reported` (days from today) and recorded `recorded` days from now
    (default: the same day), so that tests decide what counts as this week's news."""
    update = status_update_create(
        commitment=commitment,
        author=author,
        status=status,
        progress=progress,
        text=text,
        reported_on=days(reported),
        **reason_for(status),
    )
    recorded_at = timezone.now() + datetime.timedelta(days=recorded if recorded is not None else reported)
    StatusUpdate.objects.filter(pk=update.pk).update(created_at=recorded_at)
    return update


def user(username, email="", first_name="", last_name="", **extra):
    return User.objects.create(
        username=username,
        email=email,
        first_name=first_name,
        last_name=last_name,
        password=password_hash(),
        **extra,
    )


def second_reader_like(user, username="bea"):
    """Another reader (with an address) who follows what `user` follows: one digest run, two readers."""
    from tracker.models import Follow

    reader = User.objects.create_user(username, email=f"{username}@example.org", first_name=username.title())
    for follow in Follow.objects.filter(user=user):
        follow.pk, follow.user = None, reader
        follow.save()
    return reader


def build_world():
    """Two followed dialogues and one that nobody follows; five people who follow things, only one
    of whom (Ann) should hear about them. Returns a dict of what it made."""
    author = user("author")
    space = Dialogue.objects.create(
        name="Space dialogue", slug="space", parties="US,FR", announced_on=days(-400)
    )
    ocean = Dialogue.objects.create(
        name="Ocean dialogue", slug="ocean", parties="US,FR", announced_on=days(-400)
    )
    other = Dialogue.objects.create(
        name="Other dialogue", slug="other", parties="US,FR", announced_on=days(-400)
    )

    def commitment(title, dialogue=space, **fields):
        return Commitment.objects.create(title=title, dialogue=dialogue, announced_on=days(-300), **fields)

    made = {
        "overdue": commitment("Exchange Earth observation data", due_on=days(-10)),
        "due_soon": commitment("Publish the joint climate risk analysis", due_on=days(5)),
        "slipped": commitment("Launch the joint STEM programme"),
        "went_stale": commitment("Agree norms for debris removal"),
        "quiet": commitment("Hold the annual plenary"),
        "closed": commitment("Sign the framework agreement", due_on=days(-20)),
        "ocean": commitment("Map the ocean floor together", dialogue=ocean, due_on=days(12)),
        "unfollowed": commitment("Share weather satellite slots", dialogue=other, due_on=days(-3)),
    }
    report(made["overdue"], author, Status.ON_TRACK, 50, reported=-40)
    report(made["due_soon"], author, Status.ON_TRACK, 30, reported=-20)
    report(made["slipped"], author, Status.ON_TRACK, 60, reported=-30)
    report(made["slipped"], author, Status.AT_RISK, 60, reported=-2, text="The launch vehicle is late.")
    # Stale is more than 90 days without an update: true today, not yet a week ago.
    report(made["went_stale"], author, Status.ON_TRACK, 20, reported=-93)
    report(made["quiet"], author, Status.ON_TRACK, 40, reported=-20)
    report(made["closed"], author, Status.COMPLETED, 100, reported=-25)
    report(made["ocean"], author, Status.NOT_STARTED, 0, reported=-20)

    people = {
        "ann": user("ann", "ann@example.org", "Ann", "Lefèvre"),
        "bob": user("bob", "bob@example.org", "Bob", "Inactive", is_active=False),
        "cat": user("cat", "cat@example.org", "Cat", "Quiet"),
        "dan": user("dan", "", "Dan", "Noaddress"),
        "eve": user("eve", "eve@example.org", "Eve", "Unsubscribed"),
    }
    Follow.objects.create(user=people["ann"], dialogue=space)
    Follow.objects.create(user=people["ann"], commitment=made["ocean"])
    Follow.objects.create(user=people["bob"], dialogue=space)
    Follow.objects.create(user=people["cat"], commitment=made["quiet"])
    Follow.objects.create(user=people["dan"], dialogue=space)
    Follow.objects.create(user=people["eve"], dialogue=space)
    digest_subscription_set(user=people["eve"], enabled=False)
    return {**made, **people, "space": space, "ocean": ocean, "author": author}


def readers(n: int, dialogue) -> list:
    """`n` more people who follow `dialogue`, each with their own address."""
    made, first = [], User.objects.filter(username__startswith="reader").count()
    for i in range(first, first + n):
        reader = user(f"reader{i}", f"reader{i}@example.org", "Reader", str(i))
        Follow.objects.create(user=reader, dialogue=dialogue)
        made.append(reader)
    return made
