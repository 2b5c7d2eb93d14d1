"""What an evidence file may be, decided from its content, never from its name.

The allowed kinds are listed once (ALLOWED_KINDS). A file's kind comes from its first bytes (the
`filetype` package reads the magic numbers); Office files are ZIP archives, so for those the archive's
own table of contents says which one it is ([Content_Types].xml for Word, Excel and PowerPoint; the
`mimetype` entry for OpenDocument), after checking that unpacking it would not flood a disk or a
reader's memory (a "zip bomb"). Every refusal is a ValidationError naming the file and the problem.
"""

import re
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import PurePosixPath
from xml.etree import ElementTree

import filetype
from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Kind:
    content_type: str
    extension: str  # the one a stored file and a download get; other accepted spellings below
    label: str
    other_extensions: tuple[str, ...] = ()

    @property
    def extensions(self) -> tuple[str, ...]:
        return (self.extension, *self.other_extensions)


_KINDS = [
    Kind("application/pdf", ".pdf", _("PDF document")),
    Kind(
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ".docx",
        _("Word document"),
    ),
    Kind("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".xlsx", _("Excel workbook")),
    Kind(
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        ".pptx",
        _("PowerPoint presentation"),
    ),
    Kind("application/vnd.oasis.opendocument.text", ".odt", _("OpenDocument text")),
    Kind("application/vnd.oasis.opendocument.spreadsheet", ".ods", _("OpenDocument spreadsheet")),
    Kind("image/png", ".png", _("PNG image")),
    Kind("image/jpeg", ".jpg", _("JPEG image"), (".jpeg",)),
    Kind("image/gif", ".gif", _("GIF image")),
    Kind("image/webp", ".webp", _("WebP image")),
]
# The one list of what may be uploaded, by content type.
ALLOWED_KINDS: dict[str, Kind] = {kind.content_type: kind for kind in _KINDS}
# What the serving view sends for anything it does not know: the browser must not guess.
SAFE_FALLBACK_TYPE = "application/octet-stream"

# The main part of each Office Open XML document, as its [Content_Types].xml names it. Macro-enabled
# variants (docm, xlsm, pptm) have other types and so are refused with every other archive.
OOXML_MAIN_PARTS = {
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    ),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml": (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    ),
    "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml": (
        "application/vnd.openxmlformats-officedocument.presentationml.presentation"
    ),
}
ODF_TYPES = {"application/vnd.oasis.opendocument.text", "application/vnd.oasis.opendocument.spreadsheet"}

# Limits on an archive, from its directory (nothing is unpacked to check them). A large real
# spreadsheet unpacks to some tens of times its size; a zip bomb to thousands.
ZIP_MAX_ENTRIES = 10_000
ZIP_MAX_UNPACKED_BYTES = 500 * 1024 * 1024
ZIP_MAX_RATIO = 200
# The few entries read to tell the kind are small in any real file; reading stops after this.
ZIP_MAX_MANIFEST_BYTES = 1024 * 1024
HEAD_BYTES = 8192  # enough for every magic number filetype knows

ALLOWED_WORDS = _("PDF, Word, Excel, PowerPoint, OpenDocument text or spreadsheet, PNG, JPEG, GIF or WebP")


@dataclass(frozen=True)
class CheckedFile:
    """An upload that passed: its safe display name, its kind as read from its content, its size."""

    name: str
    content_type: str
    size: int

    @property
    def kind(self) -> Kind:
        return ALLOWED_KINDS[self.content_type]


def max_bytes() -> int:
    return settings.TRACKER_EVIDENCE_MAX_BYTES


def check_evidence_file(upload) -> CheckedFile:
    """The upload's safe name, kind and size, or a ValidationError that names the file and says what
    is wrong with it: empty, over the size limit, or content that is not one of ALLOWED_KINDS
    (whatever its name says), a ZIP that is not an Office document, or one that unpacks too far."""
    name = safe_name(getattr(upload, "name", "") or "")
    size = upload.size
    if not size:
        raise _refused(name, _("the file is empty."), "empty")
    if size > max_bytes():
        raise _refused(
            name,
            _("it is %(size)s, over the limit of %(limit)s.")
            % {"size": filesizeformat(size), "limit": filesizeformat(max_bytes())},
            "too_big",
        )
    upload.seek(0)
    head = upload.read(HEAD_BYTES)
    upload.seek(0)
    if head.startswith(b"PK\x03\x04"):
        content_type = _office_kind(upload, name, size)
    else:
        content_type = _plain_kind(head, name)
    upload.seek(0)
    return CheckedFile(
        name=name_with_extension(name, ALLOWED_KINDS[content_type]), content_type=content_type, size=size
    )


def _refused(name: str, problem, code: str) -> ValidationError:
    return ValidationError(
        _("“%(name)s” was refused: %(problem)s") % {"name": name, "problem": problem}, code=code
    )


def _plain_kind(head: bytes, name: str) -> str:
    guess = filetype.guess(head)
    if guess is not None and guess.mime in ALLOWED_KINDS and guess.mime not in ODF_TYPES:
        return guess.mime
    if head.startswith(b"MZ") or head.startswith(b"\x7fELF") or (guess and guess.mime in EXECUTABLE_TYPES):
        problem = _("its content is a program, not a document or an image, whatever its name says.")
        raise _refused(name, problem, "executable")
    found = guess.mime if guess is not None else _("not recognised")
    raise _refused(
        name,
        _("its content (%(found)s) is not an allowed type. Allowed: %(allowed)s.")
        % {"found": found, "allowed": ALLOWED_WORDS},
        "type",
    )


EXECUTABLE_TYPES = {"application/x-msdownload", "application/x-executable", "application/x-mach-binary"}


def _office_kind(upload, name: str, size: int) -> str:
    """The kind of a ZIP archive: one of the Office kinds, after its limits are checked."""
    try:
        archive = zipfile.ZipFile(upload)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError):
        raise _refused(name, _("it looks like an Office document but is damaged."), "corrupt") from None
    with archive:
        entries = archive.infolist()
        _check_unpacked_size(entries, name, size)
        names = {entry.filename for entry in entries}
        if any(PurePosixPath(n).name.lower() == "vbaproject.bin" for n in names):
            raise _refused(name, _("it contains macros, which are not accepted."), "macros")
        if "[Content_Types].xml" in names:
            content_type = _ooxml_kind(archive, names, name)
        elif "mimetype" in names:
            content_type = _small_entry(archive, "mimetype", name).decode("ascii", "replace").strip()
            if content_type not in ODF_TYPES or "content.xml" not in names:
                content_type = None
        else:
            content_type = None
    if content_type is None:
        raise _refused(
            name,
            _(
                "it is a ZIP archive, not a Word, Excel, PowerPoint or OpenDocument file. Allowed: %(allowed)s."
            )
            % {"allowed": ALLOWED_WORDS},
            "type",
        )
    return content_type


def _check_unpacked_size(entries, name: str, size: int) -> None:
    unpacked = sum(entry.file_size for entry in entries)
    if len(entries) > ZIP_MAX_ENTRIES or unpacked > ZIP_MAX_UNPACKED_BYTES or unpacked > size * ZIP_MAX_RATIO:
        raise _refused(
            name,
            _(
                "it would unpack to %(unpacked)s from %(size)s (%(entries)s parts): that is an archive "
                "built to flood a disk (a “zip bomb”), not an Office document."
            )
            % {"unpacked": filesizeformat(unpacked), "size": filesizeformat(size), "entries": len(entries)},
            "zip_bomb",
        )


def _small_entry(archive: zipfile.ZipFile, entry: str, name: str) -> bytes:
    """An archive entry's bytes, read no further than ZIP_MAX_MANIFEST_BYTES whatever its header says."""
    try:
        with archive.open(entry) as stream:
            data = stream.read(ZIP_MAX_MANIFEST_BYTES + 1)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError, RuntimeError):
        raise _refused(name, _("it looks like an Office document but is damaged."), "corrupt") from None
    if len(data) > ZIP_MAX_MANIFEST_BYTES:
        raise _refused(name, _("its table of contents is far too large for an Office document."), "zip_bomb")
    return data


def _ooxml_kind(archive: zipfile.ZipFile, names: set[str], name: str) -> str | None:
    """Word, Excel or PowerPoint, by the content type of the part [Content_Types].xml names as main
    (and that part must be in the archive); None for anything else."""
    manifest = _small_entry(archive, "[Content_Types].xml", name)
    # The manifest never declares entities; one that does may be an "entity expansion" attack.
    if b"<!DOCTYPE" in manifest or b"<!ENTITY" in manifest:
        return None
    try:
        root = ElementTree.fromstring(manifest)  # noqa: S314 -- small, and without a DTD (checked above)
    except ElementTree.ParseError:
        raise _refused(name, _("it looks like an Office document but is damaged."), "corrupt") from None
    for override in root:
        if not override.tag.endswith("Override"):
            continue
        kind = OOXML_MAIN_PARTS.get(override.get("ContentType", ""))
        part = (override.get("PartName") or "").lstrip("/")
        if kind and part in names:
            return kind
    return None


# Characters no file name should carry into a download header or a file system: separators,
# quotes, the ones Windows forbids, and control characters.
_UNSAFE = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]')
MAX_NAME_LENGTH = 200


def safe_name(raw: str) -> str:
    """The uploaded name, for display and downloads only (a stored file is named by a random uuid):
    the last path segment, without control characters, separators, quotes or leading dots, at most
    MAX_NAME_LENGTH characters with its extension kept; "evidence" when nothing is left."""
    name = unicodedata.normalize("NFC", str(raw)).replace("\\", "/").rsplit("/", 1)[-1]
    name = _UNSAFE.sub("", name)
    name = " ".join(name.split()).strip(" .")
    if not name:
        return "evidence"
    if len(name) > MAX_NAME_LENGTH:
        stem, dot, extension = name.rpartition(".")
        if dot and len(extension) <= 10:
            name = f"{stem[: MAX_NAME_LENGTH - len(extension) - 1].rstrip(' .')}.{extension}"
        else:
            name = name[:MAX_NAME_LENGTH].rstrip(" .")
    return name


def name_with_extension(name: str, kind: Kind) -> str:
    """`name` ending with an extension of its real kind: a PDF called "report" or "report.exe" is
    downloaded as "report.pdf", so the reader's computer opens it as what it is."""
    stem, dot, extension = name.rpartition(".")
    if dot and f".{extension.lower()}" in kind.extensions:
        return name
    base = stem if dot and stem else name
    return f"{base[: MAX_NAME_LENGTH - len(kind.extension)]}{kind.extension}"
