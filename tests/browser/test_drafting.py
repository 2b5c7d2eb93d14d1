"""An editor selects words of an announcement with the mouse and makes a commitment whose quote is
exactly the selection; and the keyboard way, widening a suggested passage word by word."""

import os
import re
import tempfile
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.test_dashboard import log_in
from tests.test_drafting import SEED_TEXT
from tracker.models import Commitment, SourceDocument

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The screenshots the note shows.
SHOTS = Path(os.environ.get("TRACKER_DRAFTING_SHOTS", tempfile.gettempdir()))

# Where each character of a passage is on screen, found through the text's own spans (offsets in
# the stored text): the mouse then drags from the first character's left edge to the last's right.
CHARACTER_BOXES = """([start, end]) => {
  const box = document.getElementById("draft-text");
  function point(offset) {
    const pieces = [...box.querySelectorAll("[data-start]")];
    const piece = pieces.filter(p => +p.dataset.start <= offset).pop();
    const range = document.createRange();
    const node = piece.firstChild;
    const at = offset - +piece.dataset.start;
    range.setStart(node, at);
    range.setEnd(node, at + 1);
    const rect = range.getBoundingClientRect();
    return {left: rect.left, right: rect.right, y: rect.top + rect.height / 2};
  }
  const pieces = [...box.querySelectorAll("[data-start]")];
  pieces.filter(p => +p.dataset.start <= start).pop().scrollIntoView({block: "center"});
  const first = point(start), last = point(end - 1);
  return {x1: first.left + 1, y1: first.y, x2: last.right - 1, y2: last.y};
}"""


def drag_select(page, start, end):
    where = page.evaluate(CHARACTER_BOXES, [start, end])
    page.mouse.move(where["x1"], where["y1"])
    page.mouse.down()
    page.mouse.move((where["x1"] + where["x2"]) / 2, (where["y1"] + where["y2"]) / 2, steps=5)
    page.mouse.move(where["x2"], where["y2"], steps=5)
    page.mouse.up()


def test_a_mouse_selection_becomes_a_commitment_quoting_exactly_it(
    page, live_server, seed, editor, screenshot
):
    source = SourceDocument.objects.create(
        title="Joint statement, as received", published_on="2021-11-10", text=SEED_TEXT
    )
    log_in(page, live_server, "editor")
    page.goto(f"{live_server.url}/sources/{source.pk}/draft/")
    expect(page.locator("#draft-text .suggested").first).to_be_visible()
    expect(page.get_by_role("heading", name="10 suggested passages")).to_be_visible()
    page.screenshot(path=str(SHOTS / "drafting-seed.png"), full_page=True)
    screenshot("drafting-seed")

    words = "will establish a regular bilateral dialogue to ensure a whole-of-government approach to space cooperation"
    start = SEED_TEXT.index(words)
    drag_select(page, start, start + len(words))
    expect(page.locator("#draft-choice blockquote")).to_have_text(words)
    page.get_by_role("link", name="Make a commitment of this passage").click()
    expect(page.locator("#draft-quote")).to_have_text(words)
    # The nine bodies its sentence names are offered, each as a partner until told otherwise.
    roles = page.locator(".draft-agencies select")
    expect(roles).to_have_count(9)
    page.get_by_label("National Space Council (NSpC) · US").select_option("lead")
    page.get_by_label("Title").fill("A regular bilateral dialogue on space")
    screenshot("drafting-form")
    page.get_by_role("button", name="Make the commitment").click()
    expect(page).to_have_url(re.compile(r"/commitments/\d+/$"))
    made = Commitment.objects.get(source=source)
    assert made.quote == words == source.text[start : start + len(words)]
    assert made.participations.count() == 9
    assert made.participations.get(role="lead").agency.slug == "national-space-council"
    expect(page.get_by_text("Commitment made from the source's own words.")).to_be_visible()
    page.screenshot(path=str(SHOTS / "drafting-made.png"), full_page=True)
    screenshot("drafting-made")
    page.goto(f"{live_server.url}/sources/{source.pk}/draft/")
    tracked = page.locator(f"#quote-{made.pk}")
    expect(tracked).to_have_text(words)
    screenshot("drafting-tracked")


def settled(page):
    """Wait until htmx has finished the swap: it wires up the new links (and puts the focus back) only
    when the swap settles, ~20 ms after the new content shows. A key pressed before then follows the
    link as a plain page load, which loses the focus."""
    expect(page.locator(".htmx-added, .htmx-settling, .htmx-request")).to_have_count(0)


def test_a_suggested_passage_is_widened_word_by_word_from_the_keyboard(page, live_server, editor):
    text = "Leaders met in Paris. The two agencies will launch a joint mission to Mars next year."
    source = SourceDocument.objects.create(title="Statement", published_on="2024-01-01", text=text)
    log_in(page, live_server, "editor")
    page.goto(f"{live_server.url}/sources/{source.pk}/draft/")
    page.locator("#choose-1").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#draft-choice blockquote")).to_have_text(
        "The two agencies will launch a joint mission to Mars next year"
    )
    settled(page)
    page.locator("#narrower-start").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#draft-choice blockquote")).to_have_text(
        "two agencies will launch a joint mission to Mars next year"
    )
    settled(page)
    # The focus stays on the button (htmx puts it back once the swap settles), so pressing again
    # narrows again.
    expect(page.locator("#narrower-start")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#draft-choice blockquote")).to_have_text(
        "agencies will launch a joint mission to Mars next year"
    )
    settled(page)
    page.locator("#narrower-end").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#draft-choice blockquote")).to_have_text(
        "agencies will launch a joint mission to Mars next"
    )
    settled(page)
    expect(page.locator("#narrower-end")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#draft-choice blockquote")).to_have_text(
        "agencies will launch a joint mission to Mars"
    )
    settled(page)
    page.locator("#make-commitment").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#draft-quote")).to_have_text("agencies will launch a joint mission to Mars")
