"""The briefing for a dialogue's next round: its page and its PDF (the Word file: test_briefing_docx).

The dialogue built below, with the latest round (2) held on 1 September 2024:

    commitment        objective   updates                                         R2: US   FR
    Share data        Climate     on track 20 (Feb), 50 (Jun), at risk 50 (Oct)       +1    0
    Joint analysis    Climate     completed (May); due 1 Apr 2024                     +1   NE
    Exchange people   Science     none; due in 30 days; blocked by Share data         −1    ·
    Meet every year   Governance  on track 10 (15 Sep)                                 ·   +1

    US: (1 + 1 − 1) / 3 = +0.33 → 67 %, 1 not assessed
    FR: (0 + 1) / 2 = +0.50 → 75 %, 1 no evidence, 1 not assessed
"""

import datetime
import io
import os
import re

import pytest
from django.utils import timezone

from tracker import services
from tracker.exports import pdf
from tracker.models import (
    Agency,
    Commitment,
    Dialogue,
    Participation,
    Role,
    Round,
    SourceDocument,
    Status,
    Theme,
    ThemeKind,
)
from tracker.rules import SlipReason

from .test_french_pages import french  # noqa: F401 -- a fixture

TEXT = (
    "We will share Earth observation data. We will analyse climate risks together. "
    "We will exchange young professionals. We will meet every year."
)


def pdf_missing_reason() -> str:
    module, error = pdf._weasyprint()
    return "" if module else f"WeasyPrint cannot load the system's Pango library ({error[:80]})"


# CI installs Pango and sets TRACKER_REQUIRE_PDF=1, so there a missing library fails instead of skipping.
needs_pdf = pytest.mark.skipif(
    bool(pdf_missing_reason()) and not os.environ.get("TRACKER_REQUIRE_PDF"),
    reason=pdf_missing_reason() or "PDF available",
)


def url(dialogue, ext="/", **params):
    from urllib.parse import urlencode

    query = f"?{urlencode(params, doseq=True)}" if params else ""
    return f"/dialogues/{dialogue.slug}/briefing{ext}{query}"


def update(commitment, author, day, status, progress, text="Reported."):
    reason = {"reason": SlipReason.FUNDING} if status in (Status.AT_RISK, Status.OFF_TRACK) else {}
    return services.status_update_create(
        commitment=commitment,
        author=author,
        status=status,
        progress=progress,
        text=text,
        reported_on=datetime.date.fromisoformat(day),
        **reason,
    )


def assess(commitment, round_, party, score, assessor, rationale):
    services.assessment_create(
        commitment=commitment,
        round=round_,
        party=party,
        score=score,
        rationale=rationale,
        assessor=assessor,
        assessed_on=round_.held_on,
    )


@pytest.fixture
def beta(db, editor):
    editor.first_name, editor.last_name = "Eda", "Editor"
    editor.save()
    dialogue = Dialogue.objects.create(
        name="Beta dialogue", slug="beta", parties="US,FR", announced_on="2024-01-10"
    )
    source = SourceDocument.objects.create(
        title="Joint statement", publisher="Ministry", published_on="2024-01-10", text=TEXT
    )
    climate = Theme.objects.create(dialogue=dialogue, name="Climate", slug="beta-climate", order=1)
    science = Theme.objects.create(dialogue=dialogue, name="Science", slug="beta-science", order=2)
    running = Theme.objects.create(
        dialogue=dialogue, name="Running it", slug="beta-running", order=0, kind=ThemeKind.GOVERNANCE
    )
    nasa = Agency.objects.create(name="NASA", slug="nasa", country="US")
    cnes = Agency.objects.create(name="CNES", slug="cnes", country="FR")
    today = timezone.localdate()

    def commitment(slug, title, theme, quote, lead, partner=None, due_on=None):
        c = Commitment.objects.create(
            dialogue=dialogue,
            slug=slug,
            title=title,
            announced_on="2024-01-10",
            source=source,
            quote=quote,
            due_on=due_on,
        )
        c.themes.set([theme])
        Participation.objects.create(commitment=c, agency=lead, role=Role.LEAD)
        if partner:
            Participation.objects.create(commitment=c, agency=partner, role=Role.PARTNER)
        return c

    share = commitment("share", "Share data", climate, "We will share Earth observation data.", nasa, cnes)
    analysis = commitment(
        "analysis",
        "Joint analysis",
        climate,
        "We will analyse climate risks together.",
        cnes,
        due_on="2024-04-01",
    )
    people = commitment(
        "people",
        "Exchange people",
        science,
        "We will exchange young professionals.",
        nasa,
        due_on=today + datetime.timedelta(days=30),
    )
    meet = commitment("meet", "Meet every year", running, "We will meet every year.", nasa, cnes)
    services.commitment_set_blockers(commitment=people, blockers=[share])

    Round.objects.create(dialogue=dialogue, number=1, held_on="2024-03-01")
    round_2 = Round.objects.create(dialogue=dialogue, number=2, held_on="2024-09-01")
    update(share, editor, "2024-02-01", Status.ON_TRACK, 20, "Kick-off held.")
    update(share, editor, "2024-06-01", Status.ON_TRACK, 50, "Half the archive shared.")
    update(share, editor, "2024-10-01", Status.AT_RISK, 50, "Budget frozen.")
    update(analysis, editor, "2024-05-01", Status.COMPLETED, 100, "Report published.")
    update(meet, editor, "2024-09-15", Status.ON_TRACK, 10, "Dates agreed.")
    assess(share, round_2, "US", 1, editor, "Archive opened.")
    assess(share, round_2, "FR", 0, editor, "Partly shared.")
    assess(analysis, round_2, "US", 1, editor, "Report out.")
    assess(analysis, round_2, "FR", None, editor, "Nothing to see yet.")
    assess(people, round_2, "US", -1, editor, "No exchange arranged.")
    assess(meet, round_2, "FR", 1, editor, "Met in Paris.")
    return dialogue


def page(client, dialogue, **params):
    response = client.get(url(dialogue, **params))
    return response, response.content.decode()


def section(html: str, anchor: str) -> str:
    """The HTML of one part of the briefing, from its anchor to the end of its first section."""
    start = html.index(f'id="{anchor}"')
    return html[start : html.index("</section>", start)]


# --- the page -----------------------------------------------------------------------------------


def test_briefing_needs_a_login(client, beta):
    for ext in ("/", ".pdf", ".docx"):
        response = client.get(url(beta, ext))
        assert response.status_code == 302
        assert "/accounts/login/" in response["Location"]


def test_cover_names_the_dialogue_its_parties_the_period_and_who_produced_it(viewer_client, beta, viewer):
    viewer.first_name, viewer.last_name = "Vi", "Ewer"
    viewer.save()
    response, html = page(viewer_client, beta)
    assert response.status_code == 200
    cover = html[html.index('class="briefing-cover"') : html.index('class="briefing-toc"')]
    assert "Beta dialogue" in cover
    assert "United States" in cover and "France" in cover
    assert "Since round 2 (1 September 2024)" in cover
    assert "As made at round 2" in cover
    assert "Vi Ewer" in cover


def test_summary_counts_statuses_then_and_now_and_each_sides_average(viewer_client, beta):
    _response, html = page(viewer_client, beta)
    summary = section(html, "briefing-summary")
    # At round 2 share was on track, analysis completed, the other two not started; now share is
    # at risk and the meeting on track.
    rows = {
        status: (int(then), int(now))
        for status, then, now in re.findall(
            r'status-(\w+)">[^<]+</span>\s*</th><td class="num">(\d+)</td><td class="num">(\d+)', summary
        )
    }
    assert rows["on_track"] == (1, 1)  # share then, the meeting now
    assert rows["at_risk"] == (0, 1)
    assert rows["not_started"] == (2, 1)
    assert rows["completed"] == (1, 1)
    assert "+0.33" in summary and "67%" in summary  # United States: 66.7 % rounded, not cut
    assert "+0.50" in summary and "75%" in summary  # France
    assert "1 no evidence, 1 not assessed" in summary


def test_summary_writes_a_fall_with_the_minus_sign_as_scores_are(viewer_client, beta):
    _response, html = page(viewer_client, beta)
    summary = section(html, "briefing-summary")
    # Not started: 2 at round 2, 1 now.
    row = re.search(r'status-not_started">[^<]+</span>\s*</th>(.*?)</tr>', summary).group(1)
    assert row.endswith('<td class="num">\u22121</td>'), row
    assert not re.search(r">-\d", summary)


def test_summary_lists_what_slipped_what_falls_due_and_what_is_blocked(viewer_client, beta):
    _response, html = page(viewer_client, beta)
    slipped = section(html, "briefing-slipped")
    assert "Share data" in slipped and "funding" in slipped.lower()
    assert "Exchange people" not in slipped
    assert "Exchange people" in section(html, "briefing-due")
    assert "Joint analysis" not in section(html, "briefing-overdue")  # completed before it fell due
    blocked = section(html, "briefing-blocked")
    assert "Exchange people" in blocked and "Share data" in blocked


def test_one_section_per_objective_in_the_dialogues_order_with_each_commitment(viewer_client, beta):
    _response, html = page(viewer_client, beta)
    order = [
        html.index(f'id="objective-{slug}"') for slug in ("beta-climate", "beta-science", "beta-running")
    ]
    assert order == sorted(order)
    climate = section(html, "objective-beta-climate")
    assert "Share data" in climate and "Joint analysis" in climate and "Exchange people" not in climate
    assert "We will share Earth observation data." in climate
    assert "Archive opened." in climate and "Partly shared." in climate  # both sides' rationales
    assert "Budget frozen." in climate  # an update in the period
    assert "Half the archive shared." not in climate  # reported before round 2
    assert "Eda Editor" in climate


def test_each_commitment_says_its_status_then_and_now_in_words(viewer_client, beta):
    _response, html = page(viewer_client, beta)
    climate = section(html, "objective-beta-climate")
    share = climate[climate.index(">Share data</h3>") :]
    # On track at round 2, at risk now; the reason for slippage and the agencies in the same line.
    assert "<strong>Status: On track → At risk</strong>" in share
    assert "Reason for slippage: Funding" in share and "NASA · US (lead)" in share
    assert "United States: +1 Full compliance — Archive opened." in share


def test_a_blocked_commitment_names_what_blocks_it_before_its_address(viewer_client, beta):
    _response, html = page(viewer_client, beta)
    science = section(html, "objective-beta-science")
    people = science[science.index(">Exchange people</h3>") :]
    # Share data is at risk now, so it blocks (⊘), with its status; the line ends with the address.
    assert "; Blocked by: ⊘ Share data — At risk; Online: <a " in people


def test_a_blockers_title_in_english_is_marked_so_on_the_french_page(viewer_client, beta, french):  # noqa: F811
    response = viewer_client.get(url(beta), headers={"accept-language": "fr"})
    science = section(response.content.decode(), "objective-beta-science")
    people = science[science.index("Exchange people</span></h3>") :]
    assert '⊘ <span lang="en">Share data</span> — ' in people


def test_since_an_earlier_round_takes_in_the_updates_since_then(viewer_client, beta):
    _response, html = page(viewer_client, beta, since="1")
    assert "Since round 1 (1 March 2024)" in html
    assert "Half the archive shared." in html and "Report published." in html
    assert "Kick-off held." not in html


def test_since_a_date_and_as_of_a_past_day(viewer_client, beta):
    _response, html = page(viewer_client, beta, since="2024-04-15", as_of="2024-08-01")
    assert "From 15 April 2024 to 1 August 2024" in html
    assert "Half the archive shared." in html and "Report published." in html
    assert "Budget frozen." not in html and "Dates agreed." not in html
    # Round 2 had not been held by then: round 1 is the latest, and nobody assessed at it.
    assert "Archive opened." not in html
    assert "As made at round 1" in html


def test_annex_quotes_each_passage_with_its_source_and_date(viewer_client, beta):
    _response, html = page(viewer_client, beta)
    annex = section(html, "briefing-annex")
    assert "Joint statement" in annex and "10 January 2024" in annex
    for quote in ("We will share Earth observation data.", "We will meet every year."):
        assert quote in annex


@pytest.mark.parametrize(
    ("params", "chosen", "left_out"),
    [
        ({"theme": "beta-science"}, ["Exchange people"], ["Share data", "Joint analysis", "Meet every year"]),
        ({"agency": "cnes"}, ["Share data", "Joint analysis", "Meet every year"], ["Exchange people"]),
        ({"country": "FR", "theme": "beta-climate"}, ["Share data", "Joint analysis"], ["Meet every year"]),
    ],
)
def test_filters_narrow_the_page(viewer_client, beta, params, chosen, left_out):
    _response, html = page(viewer_client, beta, **params)
    body = html[html.index('id="briefing-summary"') :]
    for title in chosen:
        assert f">{title}</h3>" in body
    for title in left_out:
        assert f">{title}</h3>" not in body
    assert "Narrowed to" in html


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"since": "9"}, "This dialogue has no round 9."),
        ({"since": "soon"}, "neither a round number nor a date"),
        ({"since": "2024-13-45"}, "neither a round number nor a date"),
        ({"since": "2024-06-01", "as_of": "2024-05-01"}, "must not be after the briefing"),
        ({"since": "2", "as_of": "2024-05-01"}, "after the briefing's date"),
        ({"as_of": "yesterday"}, "is not a date"),
        ({"as_of": "2999-01-01"}, "is in the future"),
        ({"theme": "no-such-theme"}, "No objective “no-such-theme” in this dialogue."),
        ({"agency": "esa"}, "No agency “esa” takes part in this dialogue."),
        ({"country": "DE"}, "No agency of country “DE”"),
        ({"theme": "bad slug!"}, "not a valid name"),
        ({"since": ["1", "2"]}, "was given 2 times"),
    ],
)
def test_bad_input_is_explained_on_the_page_and_refused_by_the_files(viewer_client, beta, params, message):
    response, html = page(viewer_client, beta, **params)
    assert response.status_code == 400
    assert message in html.replace("&#x27;", "'")
    assert 'name="since"' in html  # the form is there to correct it
    for ext in (".pdf", ".docx"):
        file_response = viewer_client.get(url(beta, ext, **params))
        assert file_response.status_code == 400
        assert file_response["Content-Type"].startswith("text/plain")
        assert message in file_response.content.decode()


def test_unknown_dialogue_is_not_found(viewer_client, db):
    assert viewer_client.get("/dialogues/nope/briefing/").status_code == 404


def test_text_typed_by_staff_is_shown_as_text(viewer_client, beta, editor):
    share = Commitment.objects.get(slug="share")
    share.title = '<script>alert(1)</script> =HYPERLINK("http://x")'
    share.save()
    update(share, editor, "2024-11-01", Status.AT_RISK, 50, "<img src=x onerror=alert(2)>")
    _response, html = page(viewer_client, beta)
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img src=x" not in html and "&lt;img src=x onerror=alert(2)&gt;" in html


def test_dialogue_page_and_overview_link_to_the_briefing(viewer_client, beta):
    target = url(beta)
    assert target in viewer_client.get(f"/dialogues/{beta.slug}/").content.decode()
    assert target in viewer_client.get(f"/?dialogue={beta.slug}").content.decode()


def test_without_pango_the_page_says_what_to_install_and_the_pdf_answers_503(
    viewer_client, beta, monkeypatch
):
    monkeypatch.setattr(pdf, "_weasyprint", lambda: (None, "cannot load library 'pango-1.0-0'"))
    _response, html = page(viewer_client, beta)
    assert "PDF is not available on this server" in html and pdf.PANGO_PACKAGES in html
    assert "Download PDF" not in html
    response = viewer_client.get(url(beta, ".pdf"))
    assert response.status_code == 503 and pdf.PANGO_PACKAGES in response.content.decode()


# --- the PDF ------------------------------------------------------------------------------------


def pdf_pages(response) -> list[str]:
    from pypdf import PdfReader

    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == "application/pdf"
    return [p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages]


@needs_pdf
def test_pdf_holds_every_objective_commitment_and_average(viewer_client, beta):
    response = viewer_client.get(url(beta, ".pdf"))
    assert 'filename="briefing-beta-' in response["Content-Disposition"]
    text = "\n".join(pdf_pages(response))
    for words in ("Climate", "Science", "Running it", "Share data", "Joint analysis", "Exchange people"):
        assert words in text
    assert "Meet every year" in text
    assert "+0.33" in text and "+0.50" in text
    assert "Beta dialogue" in text


@needs_pdf
def test_pdf_numbers_its_pages_and_its_contents_point_at_them(viewer_client, beta):
    pages = pdf_pages(viewer_client.get(url(beta, ".pdf")))
    assert f"page 2 of {len(pages)}" in pages[1]
    contents = pages[0]
    for heading in ("Summary", "Climate", "Science", "Running it"):
        listed = re.search(rf"{heading}[ .]*?(\d+)\s*$", contents, re.MULTILINE)
        assert listed, f"{heading} not in the contents:\n{contents}"
        number = int(listed.group(1))
        # Each section starts on a page of its own, with its heading at the top.
        assert heading in pages[number - 1].split("\n", 3)[-1][:200] or heading in pages[number - 1][:300]


@needs_pdf
def test_pdf_grows_with_the_content(viewer_client, beta, editor):
    before = len(pdf_pages(viewer_client.get(url(beta, ".pdf"))))
    climate = Theme.objects.get(slug="beta-climate")
    for i in range(30):
        c = Commitment.objects.create(
            dialogue=beta, slug=f"more-{i}", title=f"More work {i}", announced_on="2024-01-10"
        )
        c.themes.set([climate])
    after = len(pdf_pages(viewer_client.get(url(beta, ".pdf"))))
    assert after > before


@needs_pdf
def test_pdf_is_narrowed_by_the_filters_like_the_page(viewer_client, beta):
    text = "\n".join(pdf_pages(viewer_client.get(url(beta, ".pdf", theme="beta-science"))))
    assert "Exchange people" in text
    assert "Joint analysis" not in text


@needs_pdf
def test_pdf_shows_typed_markup_as_text(viewer_client, beta):
    share = Commitment.objects.get(slug="share")
    share.title = "<b>Bold</b> =SUM(A1:A2)"
    share.save()
    text = "\n".join(pdf_pages(viewer_client.get(url(beta, ".pdf"))))
    assert "<b>Bold</b> =SUM(A1:A2)" in text


@needs_pdf
def test_pdf_keeps_the_line_breaks_typed_in_an_update(viewer_client, beta, editor):
    share = Commitment.objects.get(slug="share")
    update(share, editor, "2024-11-04", Status.AT_RISK, 50, text="Archive delayed.\nNew date in spring.")
    lines = "\n".join(pdf_pages(viewer_client.get(url(beta, ".pdf")))).splitlines()
    first = next(i for i, line in enumerate(lines) if line.endswith("Archive delayed."))
    assert lines[first + 1].startswith("New date in spring.")
