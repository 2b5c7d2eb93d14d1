"""Reading an announcement for commitments: which passages carry commitment language, which bodies
it names, and the passage a person chose, always cut from the stored text by its offsets.

Plain rules, no model: a statement commits in a small vocabulary ("will establish", "we committed
to", "agreed", "pledge"), lists its objectives after a colon separated by semicolons, and names
bodies as capitalised names built on a few words (Department, Office, Agency, Council…). Each rule
is a named function, so a wrong suggestion can be traced to the rule that made it.
"""

import bisect
import re
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

# A passage a person may make a commitment of: long enough to say something, short enough to be
# one commitment's words (a whole statement is not a quote).
MAX_QUOTE_CHARS = 5000

# Words that commit whoever says them. "will" counts unless it only announces someone's diary.
_COMMITTING = re.compile(
    r"\b(?:will|shall|commit(?:s|ted|ting|ment|ments)?|agree(?:s|d)?|pledge(?:s|d)?|intend(?:s|ed)?"
    r"|undertake(?:s|n)?|resolve(?:s|d)?|decide(?:s|d)?|vow(?:s|ed)?|promise(?:s|d)?|determined to"
    r"|plan(?:s|ned)? to|aim(?:s|ed)? to|seek(?:s)? to|going to)\b",
    re.IGNORECASE,
)
# "will attend", "will travel to": what someone is going to do this week, not a commitment.
_ITINERARY = re.compile(
    r"\s+(?:also\s+)?(?:participate|attend|visit|travel|meet|arrive|depart|speak|stay|be in)\b", re.IGNORECASE
)
_NOT_A_PROMISE = re.compile(r"(?:political|good|free)\s+$", re.IGNORECASE)  # "political will"
# Verbs of action that commit when the sentence states them ("The agencies launch…"), not when they
# give a purpose ("was in Paris to strengthen…").
_ACTING = re.compile(
    r"(?<!\bto )\b(?:establish(?:es|ed)?|launch(?:es|ed)?|expand(?:s|ed)?|enhance(?:s|d)?"
    r"|strengthen(?:s|ed)?|deepen(?:s|ed)?|reaffirm(?:s|ed)?|set(?:s)? up|sign(?:s|ed)?)\b",
    re.IGNORECASE,
)
# Where a sentence (or a quoted speech) ends: . ! ? (with any closing quote or bracket) before a
# space; a comma, colon or semicolon right before a closing quote (the end of what was said); a
# line break.
_UNIT_END = re.compile(r"[.!?][\"”’)\]]*(?=\s|$)|[,;:][\"”’](?=\s|$)|\n")
_ABBREVIATIONS = {
    "mr", "mrs", "ms", "dr", "st", "no", "nos", "inc", "ltd", "co", "jr", "sr", "vs", "etc", "gen",
    "gov", "sen", "rep", "prof", "approx", "fig", "art", "para", "dept", "e.g", "i.e", "cf", "op",
}  # fmt: skip
_EDGE = "\"'“”‘’ \t\n,;:."
# "…, the White House said" at a passage's end is who said it, not what was promised.
_ATTRIBUTION = re.compile(
    r",\s+(?:the\s+|a\s+)?[A-Z][\w.’' -]{0,60}?\s+(?:said|says|stated|added|announced|noted|read)\b[^,]*$"
)
# Matched at the passage's start (re.match with a position: no "^", which means the text's start).
_LEADING_CONJUNCTION = re.compile(r"(?:and|or|as well as|also)\s+", re.IGNORECASE)
_WORD = re.compile(r"\w+(?:['’.-]\w+)*")

# Bodies: capitalised words joined by small words, containing one of these.
_BODY_WORDS = {
    "Agency", "Administration", "Office", "Department", "Ministry", "Council", "Commission", "Bureau",
    "Service", "Institute", "Authority", "Directorate", "Secretariat", "Command", "Committee", "Board",
    "Centre", "Center", "Laboratory", "Organization", "Organisation", "Foundation", "Corps", "Force",
    "National", "Ministère", "Agence", "Secrétariat", "Commandement", "Direction", "Conseil", "Institut",
}  # fmt: skip
# Words that begin a new body when they follow "and": "Department of State and Department of Defense"
# names two, "National Aeronautics and Space Administration" one.
_BODY_HEADS = {
    "Agency", "Office", "Department", "Ministry", "Council", "Commission", "Bureau", "Secretariat",
    "Directorate", "Ministère", "Agence", "Secrétariat", "Direction",
}  # fmt: skip
_NOT_PART_OF_A_NAME = {"The", "A", "An", "This", "That", "These", "Our", "Their", "Its", "Both", "Each"}
_CAPITALISED = r"(?:[A-Z]\.){2,}|[A-ZÀ-Þ][\w’'&-]*"
_JOINING = r"(?:of|the|and|for|on|de|des|du|la|le|et|l’|d’|l'|d')"
_NAME = re.compile(rf"(?:{_CAPITALISED})(?:[^\S\n]+(?:{_JOINING}[^\S\n]+)*(?:{_CAPITALISED}))*")
_ACRONYM_AFTER = re.compile(r"[^\S\n]*\(([A-Z][A-Za-z&.]{1,11})\)")


@dataclass(frozen=True)
class Span:
    start: int
    end: int

    def contains(self, start: int, end: int) -> bool:
        return self.start <= start and end <= self.end

    def overlaps(self, start: int, end: int) -> bool:
        return start < self.end and self.start < end


@dataclass(frozen=True)
class Passage(Span):
    """A suggested passage, and the sentence it is part of (whose bodies it names)."""

    sentence: Span = field(default=None, compare=False)


@dataclass(frozen=True)
class Body(Span):
    """A body named in the text: a known agency, or (agency None) a name not yet in the tracker."""

    name: str = ""
    acronym: str = ""
    agency: object = field(default=None, compare=False)


# --- sentences and passages --------------------------------------------------------------------------


def sentences(text: str) -> list[Span]:
    """The text cut into sentences (and spoken quotes), each trimmed of spaces and quote marks."""
    units, start = [], 0
    for match in _UNIT_END.finditer(text):
        if match.group().startswith(".") and _abbreviation_before(text, match.start()):
            continue
        units.append(_trimmed(text, start, match.end()))
        start = match.end()
    units.append(_trimmed(text, start, len(text)))
    return [unit for unit in units if unit is not None]


def _abbreviation_before(text: str, dot: int) -> bool:
    """Whether the full stop at `dot` ends an abbreviation ("U.S.", "Dr.") or is followed by a word
    in small letters, rather than ending a sentence."""
    word = re.search(r"[\w.]*$", text[max(0, dot - 12) : dot]).group()
    if "." in word or len(word) == 1 or word.lower() in _ABBREVIATIONS:
        return True
    following = re.match(r"[\"”’)\]]*\s+(\S)", text[dot + 1 : dot + 8])
    return bool(following and following.group(1).islower())


def _trimmed(text: str, start: int, end: int) -> Span | None:
    while start < end and text[start] in _EDGE:
        start += 1
    while end > start and text[end - 1] in _EDGE:
        end -= 1
    return Span(start, end) if end > start else None


def commits(sentence: str) -> bool:
    """Whether a sentence carries commitment language (see _COMMITTING and _ACTING)."""
    for match in _COMMITTING.finditer(sentence):
        if match.group().lower() == "will" and (
            _ITINERARY.match(sentence, match.end()) or _NOT_A_PROMISE.search(sentence[: match.start()])
        ):
            continue
        return True
    return bool(_ACTING.search(sentence))


def suggested_passages(text: str, sentence_spans: list[Span] | None = None) -> list[Passage]:
    """The passages of `text` that look like commitments, in order, none overlapping (give the
    text's sentences when they are already cut)."""
    passages = []
    for sentence in sentence_spans if sentence_spans is not None else sentences(text):
        if commits(text[sentence.start : sentence.end]):
            passages.extend(_clauses(text, sentence))
    return passages


def _clauses(text: str, sentence: Span) -> list[Passage]:
    """A committing sentence as the passages a commitment would quote: the items of a list it
    introduces ("objectives such as: a; b; and c"), its clauses between semicolons, and an
    "including …" tail apart from what it details; each without who said it."""
    body = text[sentence.start : sentence.end]
    colon = body.find(":")
    if colon != -1 and ";" in body[colon:]:
        # The lead-in ("we will … objectives such as") frames the list; the items are the commitments.
        pieces = _split(body, ";", colon + 1)
    else:
        pieces = _split(body, ";", 0)
    passages = []
    for piece_start, piece_end in pieces:
        for part_start, part_end in _split_including(body, piece_start, piece_end):
            passage = _passage(text, sentence, sentence.start + part_start, sentence.start + part_end)
            if passage is not None:
                passages.append(passage)
    return passages


def _split(body: str, separator: str, start: int) -> list[tuple[int, int]]:
    pieces = []
    for index, char in enumerate(body[start:], start):
        if char == separator:
            pieces.append((start, index))
            start = index + 1
    pieces.append((start, len(body)))
    return pieces


def _split_including(body: str, start: int, end: int) -> list[tuple[int, int]]:
    at = body.find(", including ", start, end)
    if at == -1:
        return [(start, end)]
    return [(start, at), (at + 2, end)]


def _passage(text: str, sentence: Span, start: int, end: int) -> Passage | None:
    span = _trimmed(text, start, end)
    if span is None:
        return None
    start, end = span.start, span.end
    attribution = _ATTRIBUTION.search(text, start, end)
    if attribution:
        end = attribution.start()
    conjunction = _LEADING_CONJUNCTION.match(text, start, end)
    if conjunction:
        start = conjunction.end()
    span = _trimmed(text, start, end)
    if span is None or len(_WORD.findall(text, span.start, span.end)) < 3:
        return None
    return Passage(span.start, span.end, sentence=sentence)


# --- bodies ------------------------------------------------------------------------------------------


class AgencyMatcher:
    """Finds known agencies in a text by name (any case, any spacing) and by acronym (exact case:
    "DOT" is an agency, "dot" is not). Built once per page from every agency."""

    def __init__(self, agencies):
        self.by_name, self.by_acronym = {}, {}
        for agency in agencies:
            self.by_name.setdefault(_normal(agency.name), agency)
            if len(agency.acronym) >= 2:
                self.by_acronym.setdefault(agency.acronym, agency)
        self.names = _alternation(self.by_name, re.IGNORECASE)
        self.acronyms = _alternation(self.by_acronym, 0)

    def find(self, text: str) -> list[Body]:
        found = []
        if self.names:
            for match in self.names.finditer(text):
                agency = self.by_name[_normal(match.group())]
                found.append(Body(match.start(), match.end(), agency.name, agency.acronym, agency))
        if self.acronyms:
            for match in self.acronyms.finditer(text):
                if not any(body.overlaps(match.start(), match.end()) for body in found):
                    agency = self.by_acronym[match.group()]
                    found.append(Body(match.start(), match.end(), agency.name, agency.acronym, agency))
        return found


def _normal(name: str) -> str:
    return " ".join(name.split()).lower()


def _alternation(keys, flags):
    if not keys:
        return None
    # Longest first, so "Department of State" wins over a shorter name inside it.
    ordered = sorted(keys, key=len, reverse=True)
    pattern = "|".join(re.escape(key).replace(r"\ ", r"\s+") for key in ordered)
    return re.compile(rf"(?<!\w)(?:{pattern})(?!\w)", flags)


def bodies_named(text: str, matcher: AgencyMatcher) -> list[Body]:
    """Every body named in `text`, in order: known agencies, and names that look like a body's
    (capitalised, built on Department, Office, Agency…) which no known agency covers."""
    known = matcher.find(text)
    new = [
        body for body in _body_like_names(text) if not any(k.overlaps(body.start, body.end) for k in known)
    ]
    return sorted(known + new, key=lambda body: body.start)


def _body_like_names(text: str):
    for match in _NAME.finditer(text):
        for start, end in _split_two_bodies(text, match.start(), match.end()):
            start = _skip_leading_words(text, start, end)
            words = text[start:end].split()
            if len(words) < 2 or not _BODY_WORDS.intersection(words):
                continue
            acronym = _ACRONYM_AFTER.match(text, end)
            yield Body(start, end, " ".join(words), acronym.group(1) if acronym else "")


def _split_two_bodies(text, start, end):
    """ "Department of State and Department of Defense" is two names."""
    pieces, piece_start = [], start
    for joint in re.finditer(r"\s+and\s+(\S+)", text[start:end]):
        if joint.group(1) in _BODY_HEADS:
            pieces.append((piece_start, start + joint.start()))
            piece_start = start + joint.start(1)
    pieces.append((piece_start, end))
    return pieces


def _skip_leading_words(text, start, end):
    while True:
        word = re.match(r"(\S+)\s+", text[start:end])
        if not word or word.group(1) not in _NOT_PART_OF_A_NAME:
            return start
        start += word.end()


# --- a chosen passage ----------------------------------------------------------------------------------


def chosen_passage(text: str, start, end) -> Span:
    """The passage between two offsets a person chose, trimmed of spaces at its ends: the quote is
    always this substring of the stored text, never words sent by the browser. Raises
    ValidationError with a message a person can act on."""
    try:
        start, end = int(start), int(end)
    except (TypeError, ValueError):
        raise ValidationError(
            _("Choose a passage: select words in the text, or pick a suggested passage."), code="no_passage"
        ) from None
    if not 0 <= start < end <= len(text):
        raise ValidationError(
            _(
                "That passage is not in this text (it runs from %(start)s to %(end)s of %(length)s characters)."
            )
            % {"start": start, "end": end, "length": len(text)},
            code="out_of_range",
        )
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if start == end:
        raise ValidationError(_("That passage holds only spaces: choose some words."), code="blank")
    if end - start > MAX_QUOTE_CHARS:
        raise ValidationError(
            _("That passage is longer than %(limit)s characters: a commitment quotes its own words only.")
            % {"limit": MAX_QUOTE_CHARS},
            code="too_long",
        )
    return Span(start, end)


class Words:
    """Word boundaries of a text, to widen or narrow a passage one word at a time."""

    def __init__(self, text: str):
        spans = [(m.start(), m.end()) for m in _WORD.finditer(text)]
        self.starts = [s for s, _ in spans]
        self.ends = [e for _, e in spans]

    def wider_start(self, span: Span) -> int | None:
        index = bisect.bisect_left(self.starts, span.start) - 1
        return self.starts[index] if index >= 0 else None

    def narrower_start(self, span: Span) -> int | None:
        index = bisect.bisect_right(self.starts, span.start)
        if index < len(self.starts) and self.starts[index] < span.end:
            # Never narrower than one word.
            first_end = self.ends[index]
            return self.starts[index] if first_end <= span.end else None
        return None

    def wider_end(self, span: Span) -> int | None:
        index = bisect.bisect_right(self.ends, span.end)
        return self.ends[index] if index < len(self.ends) else None

    def narrower_end(self, span: Span) -> int | None:
        index = bisect.bisect_left(self.ends, span.end) - 1
        if index >= 0 and self.ends[index] > span.start:
            return self.ends[index] if self.starts[index] >= span.start else None
        return None


def sentences_around(sentence_spans: list[Span], span: Span) -> list[Span]:
    """The sentences a passage touches (for the bodies they name)."""
    starts = [s.start for s in sentence_spans]
    index = max(0, bisect.bisect_right(starts, span.start) - 1)
    touched = []
    for sentence in sentence_spans[index:]:
        if sentence.start >= span.end:
            break
        if sentence.overlaps(span.start, span.end) or sentence.contains(span.start, span.start):
            touched.append(sentence)
    return touched
