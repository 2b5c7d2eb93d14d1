"""Place each commitment's quote in its source text, for highlighting."""

from dataclasses import dataclass


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
