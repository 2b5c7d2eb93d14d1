"""The briefing as a Word file (python-docx): the page's content, in the page's order, with real
headings (Word's navigation pane and a table of contents find them) and real tables.

The document, as templates/tracker/partials/_briefing_document.html lays out the page:

- on every page but the first, a running header (the dialogue's name, "Briefing"); on every page a
  footer "page X of Y" (Word's PAGE and NUMPAGES fields);
- the cover: "Briefing", the dialogue's name (Title), then parties, period covered, assessments,
  filters, who produced it and when, its address online; then the contents;
- "Summary" (Heading 1): the counts, the table of commitments by status, each party's compliance,
  then the lists (Heading 2): slipped, due next, overdue, blocked;
- one Heading 1 per objective, one Heading 2 per commitment: its quote, its facts, both sides'
  assessments, the period's updates;
- "Annex: the passages quoted" (Heading 1): one Heading 2 per source, each passage as a quote.

Every table's header row repeats on each page and no row splits across pages. Text typed by staff
goes in as plain runs, never markup: python-docx escapes it, and `plain` first drops the control
characters XML cannot hold, which would otherwise make the export fail.
"""

import datetime
import io
import re

from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _
from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_TAB_ALIGNMENT
from docx.opc.constants import RELATIONSHIP_TYPE
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Mm, Pt, RGBColor
from docx.text.paragraph import Paragraph

from ..formatting import local_date, semicolon_join
from ..models.content import Localized, active_language, localized
from ..selectors.briefing import LONG_DATE, SHORT_DATE

MUTED = RGBColor(0x55, 0x55, 0x55)
HEADER_FILL = "E7ECF2"
TABLE_STYLE = "Table Grid"
QUOTE_STYLE = "Quote"
QUOTE_LANGUAGE = "en-US"  # quotes are always the source's own words, in its language (English: the U.S.)
# Content shown in another language than the document's (tracker/models/content.py), as Word names it.
WORD_LANGUAGES = {"en": "en-GB", "fr": "fr-FR"}
TEXT_WIDTH = Mm(210 - 2 * 18)  # A4 with the PDF's side margins
LABEL_WIDTH = Cm(4)  # the cover's labels, as the page's <dt>
FACT_STYLE = "Briefing fact"

# What XML 1.0 cannot hold (C0 controls but tab, newline and carriage return; two non-characters).
FORBIDDEN_IN_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


# --- text -------------------------------------------------------------------------------------


def plain(text) -> str:
    """`text` as Word can hold it: control characters XML forbids dropped, line ends made "\\n"
    (which python-docx writes as line breaks)."""
    text = "" if text is None else str(text)
    return FORBIDDEN_IN_XML.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


def long_date(day) -> str:
    return local_date(day, LONG_DATE)


def short_date(day) -> str:
    return local_date(day, SHORT_DATE)


def add_text(paragraph, text, *, bold=False, italic=False, muted=False, language=None):
    """One run of plain text (never markup) at the end of `paragraph`."""
    run = paragraph.add_run(plain(text))
    # Only when set: assigning None still adds an empty run-properties element to every run.
    if bold:
        run.bold = True
    if italic:
        run.italic = True
    if muted:
        run.font.color.rgb = MUTED
    if language:
        set_language(run._r.get_or_add_rPr(), language)
    return run


def set_language(rpr, language: str) -> None:
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr.append(lang)
    lang.set(qn("w:val"), language)


def word_language() -> str:
    """The active language as Word names it (en-gb → en-GB), for its spelling and hyphenation."""
    code = get_language() or "en"
    head, _sep, tail = code.partition("-")
    return f"{head}-{tail.upper()}" if tail else head


# --- links, bookmarks and fields ----------------------------------------------------------------


def content_language(value: Localized) -> str | None:
    """Word's name for the language of a name or title, when it is not the document's (as the
    page marks it with lang=)."""
    return WORD_LANGUAGES.get(value.lang, value.lang) if value.foreign else None


def add_localized(paragraph, value: Localized, **options):
    """A name or title in the reader's language, marked as English where it falls back."""
    return add_text(paragraph, value.text, language=content_language(value), **options)


def quote_language(source) -> str:
    language = getattr(source, "language", "en")
    return QUOTE_LANGUAGE if language == "en" else WORD_LANGUAGES.get(language, language)


def add_link(paragraph, text, *, url=None, anchor=None, language=None):
    """A hyperlink in `paragraph`: out to `url`, or to the bookmark `anchor` inside the document."""
    link = OxmlElement("w:hyperlink")
    if url:
        link.set(qn("r:id"), paragraph.part.relate_to(url, RELATIONSHIP_TYPE.HYPERLINK, is_external=True))
    else:
        link.set(qn("w:anchor"), anchor)
    run = OxmlElement("w:r")
    rpr = OxmlElement("w:rPr")
    color = OxmlElement("w:color")
    color.set(qn("w:val"), "1F4E8C")
    underline = OxmlElement("w:u")
    underline.set(qn("w:val"), "single")
    rpr.extend([color, underline])
    if language:
        set_language(rpr, language)
    run.append(rpr)
    t = OxmlElement("w:t")
    t.text = plain(text)
    t.set(qn("xml:space"), "preserve")
    run.append(t)
    link.append(run)
    paragraph._p.append(link)


def commitment_bookmark(pk: int) -> str:
    return f"commitment_{pk}"


def add_bookmark(paragraph, name: str, bookmark_id: int) -> None:
    """Mark the whole of `paragraph` as the bookmark `name`, for the summary's lists to link to."""
    start = OxmlElement("w:bookmarkStart")
    start.set(qn("w:id"), str(bookmark_id))
    start.set(qn("w:name"), name)
    end = OxmlElement("w:bookmarkEnd")
    end.set(qn("w:id"), str(bookmark_id))
    paragraph._p.insert(1 if paragraph._p.pPr is not None else 0, start)
    paragraph._p.append(end)


def add_field(paragraph, instruction: str, shown: str = "1") -> None:
    """A Word field (PAGE, NUMPAGES) that Word and LibreOffice compute when they lay the page out."""

    def fld_char(kind):
        run = OxmlElement("w:r")
        char = OxmlElement("w:fldChar")
        char.set(qn("w:fldCharType"), kind)
        run.append(char)
        return run

    instr_run = OxmlElement("w:r")
    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = f" {instruction} "
    instr_run.append(instr)
    shown_run = OxmlElement("w:r")
    t = OxmlElement("w:t")
    t.text = shown
    shown_run.append(t)
    paragraph._p.extend([fld_char("begin"), instr_run, fld_char("separate"), shown_run, fld_char("end")])


# --- tables -----------------------------------------------------------------------------------


def mark_header_row(row) -> None:
    """The row repeats at the top of each page the table runs onto (w:tblHeader)."""
    tr_pr = row._tr.get_or_add_trPr()
    tr_pr.append(OxmlElement("w:tblHeader"))


def keep_row_together(row) -> None:
    """The row never splits across two pages (w:cantSplit; it comes before w:tblHeader)."""
    tr_pr = row._tr.get_or_add_trPr()
    tr_pr.insert(0, OxmlElement("w:cantSplit"))


def shade(cell, fill: str) -> None:
    tc_pr = cell._tc.get_or_add_tcPr()
    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), fill)
    tc_pr.append(shd)


def set_widths(table, widths) -> None:
    """Column widths, both where Word reads them (each cell) and LibreOffice (the grid)."""
    table.autofit = False
    for column, width in zip(table.columns, widths, strict=True):
        column.width = width
        for cell in column.cells:
            cell.width = width


def style_id(document, name: str) -> str:
    """The id of the style called `name`, looked up once per document: python-docx finds a style
    by scanning them all on every use, which took most of a 500-commitment briefing's time."""
    ids = document.__dict__.setdefault("_tracker_style_ids", {})
    if name not in ids:
        ids[name] = document.styles[name].style_id
    return ids[name]


def new_paragraph(document):
    """A new paragraph at the end of `document` (as document.add_paragraph()). Put straight before
    the body's closing section properties, found once per document: python-docx finds them by
    scanning every paragraph written so far, so a 500-commitment briefing's time grew with the
    square of its length."""
    body = document.element.body
    if "_tracker_body_end" not in document.__dict__:
        document.__dict__["_tracker_body_end"] = body.sectPr
    end = document.__dict__["_tracker_body_end"]
    p = body._new_p()
    if end is None:
        body.append(p)
    else:
        end.addprevious(p)
    return Paragraph(p, document._body)


def styled_paragraph(document, name: str):
    """A new paragraph at the end of `document` in the style called `name` (set by its id, see
    style_id; the same as add_paragraph(style=name) or add_heading)."""
    paragraph = new_paragraph(document)
    paragraph._p.style = style_id(document, name)
    return paragraph


def cell_text(cell, text, *, bold=False, right=False):
    """Plain text in `cell`'s first paragraph (its line breaks kept)."""
    paragraph = cell.paragraphs[0]
    add_text(paragraph, text, bold=bold)
    if right:
        paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    return paragraph


def add_table(document, headings, widths, *, numeric=(), header=True):
    """A table with `headings` as its header row (bold, shaded, repeated on each page), or with no
    header row when `header` is False (a facts table reads row by row)."""
    table = document.add_table(rows=0, cols=len(widths))
    table._tbl.tblPr.style = style_id(document, TABLE_STYLE)
    table.alignment = WD_TABLE_ALIGNMENT.LEFT
    if header:
        row = add_row(table, headings, numeric=numeric, bold=True)
        mark_header_row(row)
        for cell in row.cells:
            shade(cell, HEADER_FILL)
    table._widths = widths
    return table


def add_row(table, values, *, numeric=(), bold=False, first_bold=False):
    """A row of plain-text cells that never splits across pages; `numeric` columns align right."""
    row = table.add_row()
    keep_row_together(row)
    for i, (cell, value) in enumerate(zip(row.cells, values, strict=True)):
        cell_text(cell, value, bold=bold or (first_bold and i == 0), right=i in numeric)
    return row


def finish_table(table) -> None:
    set_widths(table, table._widths)


def add_caption(document, text):
    """A table's caption above it, kept on the table's page."""
    paragraph = styled_paragraph(document, "Caption")
    add_text(paragraph, text)
    paragraph.paragraph_format.keep_with_next = True
    return paragraph


# --- the document's frame -----------------------------------------------------------------------


def set_up_page(document) -> None:
    """A4 with the PDF's margins; the first page (the cover) without the running header."""
    section = document.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(22), Mm(20)
    section.left_margin = section.right_margin = Mm(18)
    section.different_first_page_header_footer = True


def set_language_everywhere(document) -> None:
    """The reader's language on every run by default (spelling, hyphenation)."""
    rpr = document.styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    set_language(rpr, word_language())


def add_running_header(document, dialogue) -> None:
    paragraph = document.sections[0].header.paragraphs[0]
    paragraph.style = document.styles["Normal"]
    paragraph.paragraph_format.tab_stops.add_tab_stop(TEXT_WIDTH, WD_TAB_ALIGNMENT.RIGHT)
    add_localized(paragraph, dialogue.localized("name"), muted=True).font.size = Pt(8.5)
    add_text(paragraph, "\t" + _("Briefing"), muted=True).font.size = Pt(8.5)


def add_page_numbers(footer) -> None:
    """ "page X of Y" at the right, the words translated as in the PDF."""
    paragraph = footer.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    add_text(paragraph, _("page") + " ", muted=True)
    add_field(paragraph, "PAGE")
    add_text(paragraph, " " + _("of") + " ", muted=True)
    add_field(paragraph, "NUMPAGES")
    for run in paragraph.runs:
        run.font.size = Pt(8.5)


def set_properties(document, context) -> None:
    """Title, author and dates in the file's properties (File › Info in Word)."""
    props = document.core_properties
    name = plain(context["dialogue"].localized("name").text)
    props.title = _("Briefing · %(name)s") % {"name": name}
    props.author = props.last_modified_by = plain(context["produced_by"])
    # python-docx writes the time as given and labels it UTC: give it UTC.
    produced = context["produced_at"].astimezone(datetime.UTC).replace(tzinfo=None)
    props.created = props.modified = produced
    props.revision = 1
    props.language = word_language()
    props.subject = props.keywords = props.comments = props.category = ""


# --- the cover ----------------------------------------------------------------------------------


def period_words(period) -> str:
    if period.since_round:
        return _("Since round %(number)s (%(start)s) to %(end)s") % {
            "number": period.since_round.number,
            "start": long_date(period.start),
            "end": long_date(period.end),
        }
    return _("From %(start)s to %(end)s") % {"start": long_date(period.start), "end": long_date(period.end)}


def assessments_words(period) -> str:
    if period.latest_round:
        return _("As made at round %(number)s (%(held)s)") % {
            "number": period.latest_round.number,
            "held": long_date(period.latest_round.held_on),
        }
    return _("No round held yet: nothing assessed")


def add_fact_style(document) -> None:
    """FACT_STYLE: a label, a tab, and its value aligned after the label (the page's <dl>), defined
    once rather than set on each of thousands of paragraphs."""
    style = document.styles.add_style(FACT_STYLE, WD_STYLE_TYPE.PARAGRAPH)
    style.base_style = document.styles["Normal"]
    fmt = style.paragraph_format
    fmt.left_indent, fmt.first_line_indent = LABEL_WIDTH, -LABEL_WIDTH
    fmt.tab_stops.add_tab_stop(LABEL_WIDTH)
    fmt.space_after = Pt(4)


def add_cover_fact(document, label, value=None):
    """A label and its value on one line, the values aligned (the page's <dl>)."""
    paragraph = styled_paragraph(document, FACT_STYLE)
    add_text(paragraph, label, bold=True)
    add_text(paragraph, "\t")
    if value is not None:
        add_text(paragraph, value)
    return paragraph


def add_cover(document, context) -> None:
    briefing, period = context["briefing"], context["briefing"].period
    add_text(new_paragraph(document), _("Briefing").upper(), muted=True)
    title = styled_paragraph(document, "Title")
    add_localized(title, context["dialogue"].localized("name"))
    add_cover_fact(document, _("Parties"), " · ".join(name for _code, name in briefing.parties))
    add_cover_fact(document, _("Period covered"), period_words(period))
    add_cover_fact(document, _("Assessments"), assessments_words(period))
    if briefing.is_filtered:
        add_cover_fact(document, _("Narrowed to"), semicolon_join(briefing.filter_words))
    produced = local_date(context["produced_at"], "LONG_DATETIME_FORMAT")
    add_cover_fact(
        document, _("Produced"), _("%(day)s by %(who)s") % {"day": produced, "who": context["produced_by"]}
    )
    address = context["page_url"]
    add_link(add_cover_fact(document, _("Online")), address, url=address)


def add_contents(document, briefing) -> None:
    """The contents as the page lists them (Word's own table of contents can be inserted from the
    real headings; its page numbers need Word to lay the document out)."""
    heading = new_paragraph(document)
    heading.paragraph_format.space_before = Pt(24)
    add_text(heading, _("Contents"), bold=True).font.size = Pt(14)
    entries = [Localized(_("Summary"), active_language()), *(section.title for section in briefing.sections)]
    if briefing.annex:
        entries.append(Localized(_("Annex: the passages quoted"), active_language()))
    for entry in entries:
        add_localized(styled_paragraph(document, "List Number"), entry)


def add_chapter(document, title):
    """A Heading 1 on a new page, as the PDF starts the summary, each objective and the annex."""
    heading = styled_paragraph(document, "Heading 1")
    if isinstance(title, Localized):
        add_localized(heading, title)
    else:
        add_text(heading, title)
    heading.paragraph_format.page_break_before = True
    return heading


# --- the summary --------------------------------------------------------------------------------


def counts_sentence(briefing) -> str:
    tracked = ngettext("%(n)s commitment tracked", "%(n)s commitments tracked", briefing.total_now) % {
        "n": briefing.total_now
    }
    reported = ngettext(
        "%(n)s update reported in the period", "%(n)s updates reported in the period", briefing.n_updates
    ) % {"n": briefing.n_updates}
    return semicolon_join([tracked, reported]) + "."


def add_status_table(document, briefing) -> None:
    period = briefing.period
    add_caption(document, _("Commitments by status"))
    numeric = (1, 2, 3)
    table = add_table(
        document,
        [_("Status"), short_date(period.start), short_date(period.end), _("Change")],
        [Cm(6), Cm(3.5), Cm(3.5), Cm(3)],
        numeric=numeric,
    )
    for row in briefing.status_changes:
        add_row(table, [row.label, row.then, row.now, row.change_words], numeric=numeric)
    total = [_("All"), briefing.total_then, briefing.total_now, briefing.total_change_words]
    add_row(table, total, numeric=numeric, bold=True)
    finish_table(table)


def add_compliance_table(document, briefing) -> None:
    latest = briefing.period.latest_round
    if latest:
        caption = _("Compliance at round %(number)s") % {"number": latest.number}
    else:
        caption = _("Compliance")
    add_caption(document, caption)
    numeric = (1, 2)
    table = add_table(
        document,
        [_("Party"), _("Average"), _("Percentage"), _("Left out of the average")],
        [Cm(5), Cm(3), Cm(3), Cm(6)],
        numeric=numeric,
    )
    for column in briefing.columns:
        summary = column.summary
        values = [column.name, summary.mean_text, summary.percentage_text, summary.left_out_text or "—"]
        add_row(table, values, numeric=numeric, first_bold=True)
    finish_table(table)


def troubling_blockers_words(item) -> str:
    return semicolon_join(
        f"{localized(b, 'title').text} ({b.status_label.lower()})" for b in item.troubling_blockers
    )


def add_list(document, items, heading, empty, *, show_due=False, show_blockers=False) -> None:
    """One of the summary's lists, as _briefing_list.html writes it; each title links to its
    commitment further on."""
    add_text(styled_paragraph(document, "Heading 2"), f"{heading} ({len(items)})")
    if not items:
        add_text(new_paragraph(document), empty, muted=True)
        return
    for item in items:
        c = item.commitment
        paragraph = styled_paragraph(document, "List Bullet")
        title = c.localized("title")
        add_link(paragraph, title.text, anchor=commitment_bookmark(c.pk), language=content_language(title))
        words = f" — {item.status_label}"
        if show_due:
            words += ", " + _("due %(day)s") % {"day": short_date(c.due_on)}
        if item.slip_reason_label:
            words += f", {item.slip_reason_label.lower()}"
        if show_blockers:
            words += ". " + _("Blocked by:") + " " + troubling_blockers_words(item)
        add_text(paragraph, words)


def add_summary(document, briefing) -> None:
    add_chapter(document, _("Summary"))
    if not briefing.items:
        add_text(new_paragraph(document), _("No commitments match this briefing."))
        return
    add_text(new_paragraph(document), counts_sentence(briefing))
    add_status_table(document, briefing)
    new_paragraph(document)
    add_compliance_table(document, briefing)
    add_list(document, briefing.slipped, _("Slipped in the period"), _("Nothing slipped."))
    add_list(
        document,
        briefing.due_next,
        _("Due in the next 90 days"),
        _("Nothing falls due in the next 90 days."),
        show_due=True,
    )
    add_list(document, briefing.overdue, _("Overdue"), _("Nothing is overdue."), show_due=True)
    add_list(document, briefing.blocked, _("Blocked"), _("Nothing is blocked."), show_blockers=True)


# --- one commitment -----------------------------------------------------------------------------


def add_quote(document, text, source=None):
    """A passage quoted, in its source's language: quotes are never translated."""
    paragraph = styled_paragraph(document, QUOTE_STYLE)
    add_text(paragraph, text, language=quote_language(source))
    return paragraph


def blocker_words(blocker) -> str:
    words = f"{'⊘ ' if blocker.troubling else ''}{localized(blocker, 'title').text} — {blocker.status_label}"
    if blocker.due_on:
        words += ", " + _("due %(day)s") % {"day": short_date(blocker.due_on)}
    return words


def add_facts(document, item) -> None:
    """The commitment's facts, a label and its value a line, in the words the page sets in one line
    (selectors.briefing.Item). Paragraphs, not a table: Word reads them the same, and python-docx
    builds a table row by row so slowly that a 500-commitment briefing took most of its time in them."""
    c = item.commitment
    add_cover_fact(document, _("Status"), item.status_words)
    add_cover_fact(document, _("Progress"), item.progress_words)
    if c.slip_reason:
        add_cover_fact(document, _("Reason for slippage"), item.slip_reason_label)
    add_cover_fact(document, _("Due"), item.due_words)
    if item.agencies_words:
        add_cover_fact(document, _("Agencies"), item.agencies_words)
    if item.blockers:
        add_cover_fact(document, _("Blocked by"), semicolon_join(blocker_words(b) for b in item.blockers))
    add_link(add_cover_fact(document, _("Online")), item.url, url=item.url)


def add_assessments(document, item) -> None:
    """Each side's score and rationale, a bullet each (a line of the page)."""
    add_minor_heading(document, _("Assessments"))
    for side in item.sides:
        paragraph = styled_paragraph(document, "List Bullet")
        add_text(paragraph, side.label, bold=True)
        add_text(paragraph, f" {side.cell.face}")
        if side.byline:
            add_text(paragraph, f" — {side.rationale}")
            add_text(paragraph, f" ({side.byline})", muted=True)


def add_updates(document, item) -> None:
    """The updates in the period, oldest first, a numbered line each (the page's list)."""
    add_minor_heading(document, _("Updates in the period"))
    if not item.updates:
        add_text(new_paragraph(document), _("No update in the period."), muted=True)
        return
    for update in item.update_lines:
        paragraph = styled_paragraph(document, "List Bullet")
        add_text(paragraph, f"{update.day} · {update.author} · ")
        add_text(paragraph, f"{update.status} {update.progress}", bold=True)
        add_text(paragraph, f" — {update.text}")


def add_minor_heading(document, text) -> None:
    """A small bold line kept with what follows (the page's <h4>)."""
    paragraph = new_paragraph(document)
    paragraph.paragraph_format.keep_with_next = True
    paragraph.paragraph_format.space_before = Pt(6)
    add_text(paragraph, text, bold=True)


def add_item(document, item, context, party_names: dict) -> None:
    c = item.commitment
    heading = styled_paragraph(document, "Heading 2")
    add_localized(heading, c.localized("title"))
    add_bookmark(heading, commitment_bookmark(c.pk), c.pk)
    if c.quote:
        add_quote(document, c.quote, c.source)
    add_facts(document, item)
    add_assessments(document, item)
    add_updates(document, item)


def add_sections(document, context) -> None:
    briefing = context["briefing"]
    party_names = dict(briefing.parties)
    for section in briefing.sections:
        add_chapter(document, section.title)
        for item in section.items:
            add_item(document, item, context, party_names)


# --- the annex ----------------------------------------------------------------------------------


def source_line(source) -> str:
    words = f"{source.publisher}, " if source.publisher else ""
    words += long_date(source.published_on)
    return words


def add_annex(document, briefing) -> None:
    if not briefing.annex:
        return
    add_chapter(document, _("Annex: the passages quoted"))
    for entry in briefing.annex:
        source = entry.source
        add_text(styled_paragraph(document, "Heading 2"), source.title)
        line = new_paragraph(document)
        add_text(line, source_line(source), muted=True)
        if source.url:
            add_text(line, " · ", muted=True)
            add_link(line, source.url, url=source.url)
        for passage in entry.passages:
            add_quote(document, passage.quote, source).paragraph_format.keep_with_next = True
            caption = new_paragraph(document)
            title = localized(passage.commitment, "title").text
            add_text(caption, _("Quoted for: %(title)s") % {"title": title}, muted=True)


# --- the whole ----------------------------------------------------------------------------------


def briefing_docx(context: dict) -> bytes:
    """The briefing of `context` (views.briefing.document_context) as a .docx file's bytes."""
    briefing = context["briefing"]
    document = Document()
    set_up_page(document)
    set_language_everywhere(document)
    set_properties(document, context)
    add_fact_style(document)
    add_running_header(document, context["dialogue"])
    section = document.sections[0]
    add_page_numbers(section.footer)
    add_page_numbers(section.first_page_footer)
    add_cover(document, context)
    add_contents(document, briefing)
    add_summary(document, briefing)
    add_sections(document, context)
    add_annex(document, briefing)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
