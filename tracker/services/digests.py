"""Sending the weekly digest (manage.py send_digests), and the unsubscribe link's token.

Once per person per week, whatever happens: each digest is *claimed* before it is sent by inserting
its DigestSent row, whose (user, week) is unique. A second run, on this host or another, fails that
insert and moves on. After the send the row says how it went:

- sent: never sent again this week;
- refused (the server refused the address for good, 5xx): logged, recorded, not retried this week;
- failed (the server was unreachable, a temporary refusal, any other error): the next run retries it;
- claimed: a run is sending it now, or died (killed, host lost) between claiming and recording.
  A run interrupted in an orderly way (Ctrl-C, SIGTERM, an exception) releases its claim as failed
  on its way out, so a rerun sends it at once; a claim left by a run that died is taken over once it
  is TRACKER_DIGEST_CLAIM_MINUTES old.

The trade-off: the claim is committed before the send and the result after it, so a run that dies
in between (after the mail server accepted the message, before the row says "sent") leaves the
reader's digest to be sent again once the claim expires. That window is one message wide; the
alternative (recording "sent" first) would silently lose that digest instead. A duplicate is the
lesser harm for a reminder.
"""

import datetime
import logging
import smtplib
from dataclasses import dataclass, field
from email.utils import formataddr

from django.conf import settings
from django.core import mail, signing
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import ngettext

from ..formatting import person
from ..models import DigestSent, DigestStatus, DigestSubscription
from ..selectors.digest import Digest, DigestWeek, absolute, digest_recipients

logger = logging.getLogger("tracker.digests")

# Distinct from every other use of the secret key: a token signed for anything else (a password
# reset, a calendar feed) is not an unsubscribe token.
UNSUBSCRIBE_SALT = "tracker.digest.unsubscribe"


# --- the unsubscribe link --------------------------------------------------------------------------


def unsubscribe_token(user) -> str:
    """A token that names `user` and that only this site could have made. It does not expire: an
    old digest's link keeps working."""
    return signing.Signer(salt=UNSUBSCRIBE_SALT).sign(str(user.pk))


def user_id_from_unsubscribe_token(token: str) -> int | None:
    """The user a token names, or None for a token this site did not make (tampered with, made up,
    or signed for another purpose)."""
    try:
        value = signing.Signer(salt=UNSUBSCRIBE_SALT).unsign(token)
    except signing.BadSignature:
        return None
    return int(value) if value.isdigit() else None


def unsubscribe_url(user) -> str:
    return absolute(reverse("tracker:digest_unsubscribe", args=[unsubscribe_token(user)]))


def digest_subscription_set(*, user, enabled: bool) -> DigestSubscription:
    """Turn `user`'s weekly digest on or off; nothing else about them changes."""
    subscription, _created = DigestSubscription.objects.update_or_create(
        user=user, defaults={"digest_enabled": enabled}
    )
    return subscription


# --- the email ------------------------------------------------------------------------------------


def digest_subject(digest: Digest) -> str:
    return ngettext(
        "Your weekly digest (%(week)s): %(count)d commitment to look at",
        "Your weekly digest (%(week)s): %(count)d commitments to look at",
        digest.items,
    ) % {"week": digest.week, "count": digest.items}


class DigestRenderer:
    """Writes digests. An item reads the same in every digest that lists it under the same heading,
    so each is written once per run (text and HTML) and reused: a thousand digests of the same
    dialogues cost little more than their distinct items."""

    def __init__(self):
        self._fragments: dict[tuple[int, str, str], tuple[str, str]] = {}

    def _fragment(self, item, section_key: str) -> tuple[str, str]:
        key = (item.pk, section_key, translation.get_language())
        if key not in self._fragments:
            context = {"item": item, "section_key": section_key}
            self._fragments[key] = (
                render_to_string("email/_digest_item.txt", context).rstrip(),
                # What a template renders is already marked safe (it escaped every value), so the
                # digest's template places it as it is.
                render_to_string("email/_digest_item.html", context),
            )
        return self._fragments[key]

    def dialogues(self, digest: Digest) -> list[dict]:
        """The digest's dialogues and sections, each item as its written fragments."""
        return [
            {
                "name": dialogue.name,
                "name_fr": dialogue.name_fr,
                "url": dialogue.url,
                "sections": [
                    {
                        "heading": section.heading,
                        "more": section.more,
                        "more_url": section.more_url,
                        "items": [self._fragment(item, section.key) for item in section.items],
                    }
                    for section in dialogue.sections
                ],
            }
            for dialogue in digest.dialogues
        ]

    def message(self, digest: Digest, connection=None) -> mail.EmailMultiAlternatives:
        """The email for `digest`: a plain-text part, an HTML part, and the header with which mail
        clients offer their own unsubscribe button (RFC 2369; it opens the confirmation page)."""
        user = digest.user
        unsubscribe = unsubscribe_url(user)
        context = {
            "digest": digest,
            "dialogues": self.dialogues(digest),
            "name": person(user),
            "unsubscribe_url": unsubscribe,
            "site_url": settings.TRACKER_SITE_URL,
            "subject": digest_subject(digest),
        }
        message = mail.EmailMultiAlternatives(
            subject=context["subject"],
            body=render_to_string("email/digest.txt", context),
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[formataddr((person(user), user.email))],
            connection=connection,
            headers={
                # Not RFC 8058's one-click POST: it carries no CSRF token, and no view here is exempt.
                "List-Unsubscribe": f"<{unsubscribe}>",
                # Out-of-office replies are not sent back to an automated message.
                "Auto-Submitted": "auto-generated",
            },
        )
        message.attach_alternative(render_to_string("email/digest.html", context), "text/html")
        return message


# --- claiming and sending -------------------------------------------------------------------------


@dataclass
class DigestRun:
    """What one run did, for the command to report."""

    week: str
    sent: list[int] = field(default_factory=list)  # user ids
    nothing_to_report: int = 0
    taken: int = 0  # claimed by another run meanwhile
    refused: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)


def digest_claim(*, user, week: str, now: datetime.datetime) -> DigestSent | None:
    """Take `user`'s digest for `week`, or None when another run has it (or it went already).

    First by inserting its row; when the row exists, by taking it over if it failed or if its claim
    is older than TRACKER_DIGEST_CLAIM_MINUTES, in one conditional UPDATE so that of two runs trying
    at once exactly one succeeds.
    """
    try:
        with transaction.atomic():
            return DigestSent.objects.create(user=user, week=week, address=user.email, claimed_at=now)
    except IntegrityError:
        pass
    expired = now - datetime.timedelta(minutes=settings.TRACKER_DIGEST_CLAIM_MINUTES)
    taken_over = DigestSent.objects.filter(user=user, week=week).filter(
        Q(status=DigestStatus.FAILED) | Q(status=DigestStatus.CLAIMED, claimed_at__lt=expired)
    )
    if taken_over.update(
        status=DigestStatus.CLAIMED, claimed_at=now, address=user.email, attempts=F("attempts") + 1
    ):
        return DigestSent.objects.get(user=user, week=week)
    return None


def _record(claim: DigestSent, status: str, **fields) -> None:
    DigestSent.objects.filter(pk=claim.pk).update(status=status, **fields)


def _refused_for_good(error: smtplib.SMTPRecipientsRefused) -> bool:
    """Whether the server refused every recipient with a permanent (5xx) answer."""
    return all(code >= 500 for code, _message in error.recipients.values())


def digests_send(*, today: datetime.date | None = None, connection=None) -> DigestRun:
    """Send this week's digest to every recipient (selectors.digest.digest_recipients) with
    something to report, each at most once (see the module's docstring). One refused or failing
    address is logged and recorded, and the others are still sent."""
    connection = connection or mail.get_connection()
    renderer = DigestRenderer()
    week = DigestWeek(today)
    run = DigestRun(week=week.week)
    try:
        # Read at once, not streamed: the loop writes claims that the query's own subquery reads.
        for user in list(digest_recipients(week.week)):
            # Each in its reader's language (chosen with the header's switch), else the site's.
            with translation.override(user.digest_language or settings.LANGUAGE_CODE):
                _send_one(user, week, run, connection, renderer)
    finally:
        connection.close()
    return run


def _send_one(user, week: DigestWeek, run: DigestRun, connection, renderer: DigestRenderer) -> None:
    digest = week.for_user(user)
    if digest.empty:
        run.nothing_to_report += 1
        return
    now = timezone.now()
    claim = digest_claim(user=user, week=week.week, now=now)
    if claim is None:
        run.taken += 1
        return
    message = renderer.message(digest, connection=connection)
    try:
        connection.send_messages([message])
    except smtplib.SMTPRecipientsRefused as error:
        permanent = _refused_for_good(error)
        logger.warning(
            "Digest %s for user %s: %s refused by the mail server (%s)%s",
            week.week,
            user.pk,
            user.email,
            error.recipients,
            "" if permanent else "; will retry",
        )
        _record(
            claim, DigestStatus.REFUSED if permanent else DigestStatus.FAILED, error=str(error.recipients)
        )
        (run.refused if permanent else run.failed).append(user.pk)
    except Exception as error:
        logger.exception(
            "Digest %s for user %s could not be sent; the next run retries it", week.week, user.pk
        )
        _record(claim, DigestStatus.FAILED, error=repr(error))
        run.failed.append(user.pk)
        # The connection may be broken: the next message opens a new one.
        connection.close()
    except BaseException:
        # Interrupted (Ctrl-C, SIGTERM turned into an exception): whether this one went is unknown,
        # but releasing the claim lets a rerun send it at once rather than after the claim expires.
        _record(claim, DigestStatus.FAILED, error="interrupted")
        raise
    else:
        _record(claim, DigestStatus.SENT, sent_at=timezone.now(), items=digest.items, error="")
        run.sent.append(user.pk)
