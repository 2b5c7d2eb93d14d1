"""The drafting page of a source: its text with the suggested passages, the bodies it names, the
passages already tracked and the passage chosen, in three queries whatever the text's length."""

import bisect
from dataclasses import dataclass, field
from functools import cached_property

from .. import drafting
from ..models import Agency, Commitment, SourceDocument
from ..quotes import quoted_spans


@dataclass
class Piece:
    """A stretch of the text with one set of marks; `start` is its offset in the stored text, which
    the page's script adds to the offset of a selection within the piece."""

    start: int
    text: str
    css: str = ""
    anchor: str = ""  # an id to link to (the first piece of a suggested passage)
    title: str = ""


@dataclass
class Run:
    """Consecutive pieces inside one tracked quote (commitment set), or outside any."""

    commitment: object = None
    pieces: list = field(default_factory=list)


@dataclass
class Choice:
    """The passage chosen, with the offsets one word wider or narrower at each end (None: no further)."""

    span: drafting.Span
    quote: str
    wider_start: int | None
    narrower_start: int | None
    narrower_end: int | None
    wider_end: int | None
    agencies: list  # the known agencies named in the sentences it is part of, in order
    new_bodies: list  # names there that look like bodies but are no agency yet


class DraftingPage:
    def __init__(self, source: SourceDocument, chosen: drafting.Span | None = None):
        self.source = source
        self.text = source.text
        self.chosen = chosen
        tracked = (
            Commitment.objects.filter(source=source)
            .only("pk", "source_id", "title", "title_fr", "quote")
            .order_by("id")
        )
        self.tracked, self.unplaced = quoted_spans(self.text, tracked)
        agencies = Agency.objects.only("pk", "name", "acronym", "slug", "country").order_by("pk")
        self.sentences = drafting.sentences(self.text)
        self.passages = drafting.suggested_passages(self.text, self.sentences)
        self.bodies = drafting.bodies_named(self.text, drafting.AgencyMatcher(agencies))

    @cached_property
    def runs(self) -> list[Run]:
        text = self.text
        cuts = {0, len(text)}
        for spans in (self.passages, self.bodies):
            for span in spans:
                cuts.update((span.start, span.end))
        for start, end, _commitment in self.tracked:
            cuts.update((start, end))
        if self.chosen:
            cuts.update((self.chosen.start, self.chosen.end))
        # A carriage return is its own (empty) piece: browsers drop it from the page's text, and the
        # offsets the script reads must stay those of the stored text.
        returns = [index for index, char in enumerate(text) if char == "\r"]
        for index in returns:
            cuts.update((index, index + 1))
        cuts = sorted(cut for cut in cuts if 0 <= cut <= len(text))
        passage_at = _Locator([(p.start, p.end, index) for index, p in enumerate(self.passages, 1)])
        body_at = _Locator([(b.start, b.end, b) for b in self.bodies])
        tracked_at = _Locator(self.tracked)
        runs = []
        for start, end in zip(cuts, cuts[1:], strict=False):
            commitment = tracked_at.find(start)
            if not runs or runs[-1].commitment is not commitment:
                runs.append(Run(commitment))
            runs[-1].pieces.append(self._piece(start, end, passage_at, body_at))
        return runs

    def _piece(self, start, end, passage_at, body_at) -> Piece:
        text = self.text[start:end]
        if text == "\r":
            return Piece(start, "")
        classes, anchor, title = [], "", ""
        number = passage_at.find(start)
        if number is not None:
            classes.append("suggested")
            if self.passages[number - 1].start == start:
                anchor = f"passage-{number}"
        body = body_at.find(start)
        if body is not None:
            classes.append("body-known" if body.agency else "body-new")
            title = str(body.agency) if body.agency else body.name
        if self.chosen and self.chosen.start <= start and end <= self.chosen.end:
            classes.append("chosen")
        return Piece(start, text, " ".join(classes), anchor, title)

    @cached_property
    def suggestions(self) -> list[dict]:
        """The suggested passages, numbered as in the text, each with the commitments already made
        from inside it."""
        return [
            {
                "number": number,
                "start": passage.start,
                "end": passage.end,
                "text": self.text[passage.start : passage.end],
                "tracked": [c for s, e, c in self.tracked if passage.overlaps(s, e)],
            }
            for number, passage in enumerate(self.passages, 1)
        ]

    @cached_property
    def known_agencies(self) -> list:
        """Each known agency the text names, once, in the order first named."""
        return list({b.agency.pk: b.agency for b in self.bodies if b.agency}.values())

    @cached_property
    def new_bodies(self) -> list[drafting.Body]:
        """Each name that looks like a body but is no agency yet, once."""
        return list({b.name: b for b in self.bodies if not b.agency}.values())

    @cached_property
    def choice(self) -> Choice | None:
        if not self.chosen:
            return None
        span, words = self.chosen, drafting.Words(self.text)
        around = drafting.sentences_around(self.sentences, span)
        named = [b for b in self.bodies if any(s.contains(b.start, b.end) for s in around)]
        return Choice(
            span=span,
            quote=self.text[span.start : span.end],
            wider_start=words.wider_start(span),
            narrower_start=words.narrower_start(span),
            narrower_end=words.narrower_end(span),
            wider_end=words.wider_end(span),
            agencies=list({b.agency.pk: b.agency for b in named if b.agency}.values()),
            new_bodies=list({b.name: b for b in named if not b.agency}.values()),
        )


class _Locator:
    """Which of some ordered, non-overlapping spans (start, end, value) holds an offset."""

    def __init__(self, spans):
        self.spans = sorted(spans, key=lambda span: span[0])
        self.starts = [span[0] for span in self.spans]

    def find(self, offset):
        index = bisect.bisect_right(self.starts, offset) - 1
        if index >= 0 and offset < self.spans[index][1]:
            return self.spans[index][2]
        return None
