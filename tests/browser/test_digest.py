"""The weekly digest as its reader gets it: received by a real SMTP server, its HTML part shown in
Chromium, its unsubscribe link followed in the browser without logging in. The text part and a
screenshot of the HTML part are kept in test-artifacts/."""

import pytest
from django.core.management import call_command

from tests.browser.conftest import SCREENSHOTS
from tests.digest_world import build_world, smtp_server
from tracker.models import DigestSubscription

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_digest_as_received_reads_well_and_its_unsubscribe_link_works_in_a_browser(
    page, screenshot, live_server
):
    world = build_world()
    with smtp_server(site_url=live_server.url) as mailbox:
        call_command("send_digests")
    (message,) = mailbox.messages
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    headers = "".join(f"{name}: {message[name]}\n" for name in ("From", "To", "Subject"))
    (SCREENSHOTS / "digest.txt").write_text(headers + "\n" + text.replace("\r\n", "\n"), encoding="utf-8")

    page.set_content(html)
    assert page.get_by_role("heading", name="Your weekly digest").is_visible()
    assert page.get_by_role("heading", name="Space dialogue").is_visible()
    assert page.get_by_role("link", name="Launch the joint STEM programme").count() == 2  # slipped, updated
    screenshot("digest-email")

    # The reader is not logged in in this browser: the link still works, and asks before acting.
    page.get_by_role("link", name="Stop receiving the weekly digest").click()
    page.wait_for_selector("text=Stop sending me the weekly digest")
    assert not DigestSubscription.objects.filter(user=world["ann"]).exists()
    page.get_by_role("button", name="Stop sending me the weekly digest").click()
    page.wait_for_selector("text=Send me the weekly digest again")
    assert DigestSubscription.objects.get(user=world["ann"]).digest_enabled is False
    screenshot("digest-unsubscribed")
