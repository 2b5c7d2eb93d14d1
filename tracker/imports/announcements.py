"""The text of an announcement someone brings as a file: plain text, a web page, a PDF or a Word
document. Nothing here goes to the network; a file that cannot be read safely is refused with a
message that names the file and the problem (AnnouncementRefused), and nothing is kept of it.
"""

import io
import re
import zipfile
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import PurePath

from django.conf import settings
from django.utils.translation import gettext as _

# A statement runs to a few dozen pages; anything far bigger is not one.
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
# A .docx is a zip: a small file can unpack to gigabytes (a "zip bomb"). Real statements unpack to a
# few megabytes at most, so more than this in total, or more parts than this, is refused unread.
MAX_UNPACKED_BYTES = 50 * 1024 * 1024
MAX_ZIP_MEMBERS = 2000
# Reading a PDF costs time per page: a statement has tens of pages, not thousands.
MAX_PDF_PAGES = 500
EXTENSIONS = (".txt", ".html", ".htm", ".pdf", ".docx")


class AnnouncementRefused(Exception):
    """The file cannot be taken: the message says which file and why, in the reader's language."""


@dataclass
class Extracted:
    text: str
    # What the reader should know about how the text was read (e.g. the encoding guessed).
    notes: list[str] = field(default_factory=list)


def max_bytes() -> int:
    return getattr(settings, "TRACKER_ANNOUNCEMENT_MAX_BYTES", DEFAULT_MAX_BYTES)


def extract_text(upload) -> Extracted:
    """The text of an uploaded file (a Django UploadedFile, or anything with .name, .size, .read()).

    The type comes from the name's extension and is then checked against the content, so an
    executable renamed .pdf is refused by what it is, not taken for what it says it is.
    """
    name = PurePath(upload.name or "").name
    suffix = PurePath(name.lower()).suffix
    if suffix not in EXTENSIONS:
        raise AnnouncementRefused(
            _("“%(name)s” is not a file this page reads: upload a .txt, .html, .pdf or .docx file.")
            % {"name": name}
        )
    limit = max_bytes()
    size = getattr(upload, "size", None)
    if size is not None and size > limit:
        raise AnnouncementRefused(_too_big(name, limit))
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise AnnouncementRefused(_too_big(name, limit))
    if not data.strip():
        raise AnnouncementRefused(_("“%(name)s” is empty.") % {"name": name})
    reader = {
        ".txt": _from_plain_text,
        ".html": _from_html,
        ".htm": _from_html,
        ".pdf": _from_pdf,
        ".docx": _from_docx,
    }[suffix]
    extracted = reader(name, data)
    extracted.text = tidy(extracted.text)
    if not extracted.text.strip():
        raise AnnouncementRefused(_("“%(name)s” holds no text.") % {"name": name})
    return extracted


def tidy(text: str) -> str:
    """One kind of line break, no trailing spaces, no runs of blank lines: the stored text is what
    quotes are cut from, so it should read as the document does. Also used for pasted text."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    text = re.sub(r"[ \t\u00a0]+\n", "\n", text)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip()


def _too_big(name, limit):
    return _("“%(name)s” is larger than %(limit)s MB: upload the statement alone, or paste its text.") % {
        "name": name,
        "limit": limit // (1024 * 1024),
    }


def _binary(data: bytes) -> bool:
    """Text files hold no NUL bytes (unless UTF-16, which announces itself with a byte-order mark)."""
    return b"\x00" in data[:8192]


def decode(name: str, data: bytes) -> Extracted:
    """Bytes to text: UTF-8 (with or without a byte-order mark), UTF-16 with its mark, else the
    Windows Western encoding most older office files use, with a note to check accented letters."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return Extracted(data.decode("utf-16"))
        except UnicodeDecodeError:
            pass
    if _binary(data):
        raise AnnouncementRefused(_("“%(name)s” is not a text file (it holds binary data).") % {"name": name})
    try:
        return Extracted(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        pass
    for encoding, label in (("cp1252", "Windows-1252"), ("latin-1", "ISO-8859-1 (Latin-1)")):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        note = _(
            "“%(name)s” was not in UTF-8: it was read as %(encoding)s. Check that accented letters "
            "and dashes read correctly before making commitments from it."
        ) % {"name": name, "encoding": label}
        return Extracted(text, [note])
    raise AnnouncementRefused(_("“%(name)s” could not be read as text.") % {"name": name})  # pragma: no cover


def _from_plain_text(name, data):
    return decode(name, data)


class _TextOfHTML(HTMLParser):
    """The words of a web page as a reader sees them: no scripts, styles or head; a line break
    after each block (paragraph, heading, list item, row…)."""

    BLOCKS = {
        "p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "table",
        "section", "article", "blockquote", "header", "footer", "pre", "hr", "dd", "dt",
    }  # fmt: skip
    HIDDEN = {"script", "style", "head", "template", "noscript", "svg"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts, self.hidden = [], 0

    def handle_starttag(self, tag, attrs):
        if tag in self.HIDDEN:
            self.hidden += 1
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in self.HIDDEN:
            self.hidden = max(0, self.hidden - 1)
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data):
        if not self.hidden:
            # Within a block, source line breaks and runs of spaces are layout, not text.
            self.parts.append(re.sub(r"\s+", " ", data))

    def text(self):
        lines = (line.strip() for line in "".join(self.parts).split("\n"))
        return "\n\n".join(line for line in lines if line)


def _from_html(name, data):
    decoded = decode(name, data)
    parser = _TextOfHTML()
    parser.feed(decoded.text)
    parser.close()
    return Extracted(parser.text(), decoded.notes)


def _from_pdf(name, data):
    from pypdf import PdfReader

    if b"%PDF-" not in data[:1024]:
        raise AnnouncementRefused(
            _("“%(name)s” is not a PDF, whatever its name says: it does not start as one.") % {"name": name}
        )
    unreadable = _("“%(name)s” could not be read as a PDF (it is damaged or not a PDF).") % {"name": name}
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise AnnouncementRefused(
                _("“%(name)s” is protected by a password: save an unprotected copy and upload that.")
                % {"name": name}
            )
        if not reader.pages:
            raise AnnouncementRefused(unreadable)
        if len(reader.pages) > MAX_PDF_PAGES:
            raise AnnouncementRefused(
                _("“%(name)s” has more than %(pages)s pages: that is not one statement.")
                % {"name": name, "pages": MAX_PDF_PAGES}
            )
        pages = [page.extract_text() or "" for page in reader.pages]
    except AnnouncementRefused:
        raise
    except Exception:  # noqa: BLE001 -- pypdf raises many kinds on damaged or hostile files; to the
        # person uploading each means the same, and none may become a server error.
        raise AnnouncementRefused(unreadable) from None
    text = "\n\n".join(_unwrap(page) for page in pages)
    if not text.strip():
        raise AnnouncementRefused(
            _(
                "“%(name)s” has no text layer: it looks like a scan (pictures of pages). Paste the "
                "text instead, or run it through text recognition (OCR) first."
            )
            % {"name": name}
        )
    return Extracted(text)


def _unwrap(page_text: str) -> str:
    """A PDF breaks lines where the page ran out of width: join them again within a paragraph (a
    line that does not end a sentence runs on), so sentences and quotes read as one line."""
    text = re.sub(r"(\w)-\n(\w)", r"\1\2", page_text)  # a word split by a hyphen at the line's end
    return re.sub(r"(?<![.!?:;\n])[ \t]*\n(?!\n)[ \t]*", " ", text)


def _from_docx(name, data):
    unreadable = _("“%(name)s” could not be read as a Word document (.docx).") % {"name": name}
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError):
        raise AnnouncementRefused(unreadable) from None
    if len(members) > MAX_ZIP_MEMBERS or sum(m.file_size for m in members) > MAX_UNPACKED_BYTES:
        raise AnnouncementRefused(
            _("“%(name)s” unpacks to far more than a document holds: it was refused unread.") % {"name": name}
        )
    if "word/document.xml" not in archive.namelist():
        raise AnnouncementRefused(unreadable)
    import docx

    try:
        document = docx.Document(io.BytesIO(data))
        paragraphs = [p.text for p in document.paragraphs]
        for table in document.tables:
            for row in table.rows:
                paragraphs.append(" · ".join(cell.text for cell in row.cells))
    except Exception:  # noqa: BLE001 -- damaged XML, bad CRCs and the like: all "cannot be read"
        raise AnnouncementRefused(unreadable) from None
    return Extracted("\n\n".join(p.strip() for p in paragraphs if p.strip()))
