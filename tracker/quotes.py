"""Place each commitment's quote in its source text, for highlighting; and the rule every quote obeys:
verbatim from its source (quote_not_verbatim)."""

import difflib
import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


@dataclass
class Segment:
    text: str
    commitment: object = None  # the commitment quoted here, or None for plain text


def quoted_spans(text: str, commitments) -> tuple[list[tuple[int, int, object]], list]:
    """Where each commitment's quote sits in `text`, as (start, end, commitment) in order, none
    overlapping; also the commitments whose quote could not be placed (missing, or overlapping a
    passage already placed)."""
    spans, unplaced = [], []
    for commitment in commitments:
        start = _free_occurrence(text, commitment.quote, spans)
        if start is None:
            unplaced.append(commitment)
        else:
            spans.append((start, start + len(commitment.quote), commitment))
    spans.sort(key=lambda span: span[0])
    return spans, unplaced


def highlighted_segments(text: str, commitments) -> tuple[list[Segment], list]:
    """Split `text` into plain and quoted segments; also return commitments whose quote could not
    be placed (see quoted_spans). Escaping is the template's job."""
    spans, unplaced = quoted_spans(text, commitments)
    segments, position = [], 0
    for start, end, commitment in spans:
        if start > position:
            segments.append(Segment(text[position:start]))
        segments.append(Segment(text[start:end], commitment))
        position = end
    if position < len(text):
        segments.append(Segment(text[position:]))
    return segments, unplaced


def _free_occurrence(text, quote, spans):
    """The first place `quote` occurs that overlaps no span already taken."""
    if not quote:
        return None
    start = text.find(quote)
    while start != -1:
        end = start + len(quote)
        if all(end <= s or start >= e for s, e, _ in spans):
            return start
        start = text.find(quote, start + 1)
    return None


# --- the verbatim rule ----------------------------------------------------------------------------

# Where a sentence (or a line) ends: the passages a nearest match is looked for among.
SENTENCE_END = re.compile(r"(?<=[.!?;:])\s+|\n\s*")
WORD = re.compile(r"\w+")
# A passage this much like the quote (difflib's ratio) is worth offering; below, none is.
NEAREST_CUTOFF = 0.5
# How many of the passages sharing most words with the quote are compared closely (the slow part).
CLOSE_LOOKS = 8


def quote_not_verbatim(quote: str, text: str) -> ValidationError | None:
    """The one rule for a quote, applied by Commitment.clean (so by the admin, imports and the API,
    through full_clean) and by the loader: it appears in its source's text exactly as written —
    the same character-for-character match the source page highlights with. None when it does;
    otherwise the error to raise, offering the nearest passage of the source to copy."""
    if not quote or quote in text:
        return None
    passage = nearest_passage(quote, text)
    if passage:
        return ValidationError(
            _(
                "This quote is not in the source text word for word. The nearest passage in the source "
                "is: “%(passage)s”. Copy the words exactly as the source gives them."
            ),
            code="not_verbatim",
            params={"passage": passage},
        )
    return ValidationError(
        _(
            "This quote is not in the source text word for word, and no passage of the source resembles "
            "it. Check that the right source document is chosen."
        ),
        code="not_verbatim",
    )


def nearest_passage(quote: str, text: str) -> str:
    """The stretch of `text` most like `quote`, verbatim, or "" when nothing is much like it.

    Runs of one to a few sentences about the quote's length are ranked by the words they share with
    it (cheap); only the best few are compared character by character (difflib), each cut down to
    the part that matches, and that part is what is scored and offered, so a clause inside a long
    sentence is found and can be copied as it stands."""
    windows = _sentence_windows(text, len(quote))
    if not windows:
        return ""
    words = set(WORD.findall(quote.lower()))
    shortlist = sorted(windows, key=lambda w: -len(words & w[2]))[:CLOSE_LOOKS]
    best, best_score = "", 0.0
    for start, end, _words in shortlist:
        passage, matched = _matching_part(quote, text, start, end)
        score = 2 * matched / (len(quote) + len(passage)) if passage else 0.0
        if score > best_score:
            best, best_score = passage, score
    return best if best_score >= NEAREST_CUTOFF else ""


def _sentence_windows(text: str, length: int) -> list[tuple[int, int, set]]:
    """(start, end, words) of each run of consecutive sentences that starts a sentence and is about
    `length` long: the shortest reaching it, and one sentence more."""
    sentences, position = [], 0
    for boundary in [*SENTENCE_END.finditer(text), None]:
        stop = boundary.start() if boundary else len(text)
        if stop > position:
            sentences += _pieces(text, position, stop, max(2 * length, 400))
        position = boundary.end() if boundary else stop
    word_sets = [set(WORD.findall(text[s:e].lower())) for s, e in sentences]
    windows = []
    for first in range(len(sentences)):
        words: set = set()
        for last in range(first, len(sentences)):
            words = words | word_sets[last]
            start, end = sentences[first][0], sentences[last][1]
            windows.append((start, end, words))
            if end - start >= length:
                if last + 1 < len(sentences):
                    windows.append((start, sentences[last + 1][1], words | word_sets[last + 1]))
                break
    return windows


def _pieces(text: str, start: int, end: int, size: int) -> list[tuple[int, int]]:
    """A sentence cut at spaces into pieces of about `size` characters: a text without full stops
    (a table, a list) must not become one window that difflib compares slowly."""
    pieces = []
    while end - start > size:
        cut = text.rfind(" ", start + size // 2, start + size)
        cut = cut if cut > start else start + size
        pieces.append((start, cut))
        start = cut
    pieces.append((start, end))
    return pieces


def _matching_part(quote: str, text: str, start: int, end: int) -> tuple[str, int]:
    """The part of text[start:end] that matches `quote`, widened to whole words, and how many
    characters of it match: the longest common run, with the runs near it on either side (a run far
    away, such as a stray "the ", is not part of the passage)."""
    matcher = difflib.SequenceMatcher(None, quote, text[start:end], autojunk=False)
    blocks = [block for block in matcher.get_matching_blocks() if block.size >= 3]
    if not blocks:
        return "", 0
    gap = max(15, len(quote) // 3)
    anchor = max(range(len(blocks)), key=lambda i: blocks[i].size)
    first = last = anchor
    while first > 0 and blocks[first].b - (blocks[first - 1].b + blocks[first - 1].size) <= gap:
        first -= 1
    while last + 1 < len(blocks) and blocks[last + 1].b - (blocks[last].b + blocks[last].size) <= gap:
        last += 1
    matched = sum(block.size for block in blocks[first : last + 1])
    begin, finish = start + blocks[first].b, start + blocks[last].b + blocks[last].size
    while begin > start and _in_word(text[begin - 1]):
        begin -= 1
    while finish < end and _in_word(text[finish]):
        finish += 1
    return text[begin:finish].strip(), matched


def _in_word(character: str) -> bool:
    return character.isalnum() or character in "-'’"
