"""The dialogues: the index of them all, and one dialogue's own overview (its rounds, its
commitments by objective, the latest assessment of each side).

A dialogue's page shows its own objectives only, in its own order; its governance theme (the
running of the dialogue itself) is shown apart, so it is never counted as one more objective.
"""

import datetime
from dataclasses import dataclass, field

from django.db.models import Count, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils.functional import cached_property

from .. import caching
from ..models import Commitment, Dialogue, Round, is_past
from .scorecard import Scorecard, held_by, party_names


@dataclass
class DialogueSummary:
    dialogue: Dialogue
    parties: list[str]  # country names
    n_commitments: int
    rounds: list[Round] = field(default_factory=list)  # held by the day asked about

    @property
    def latest_round(self) -> Round | None:
        return self.rounds[-1] if self.rounds else None


def dialogue_index(day: datetime.date | None = None) -> list[DialogueSummary]:
    """Every dialogue with its parties, its commitments announced by `day` counted, and its rounds
    held by then (2 queries)."""
    commitments = Commitment.objects.filter(dialogue=OuterRef("pk"))
    if is_past(day):
        commitments = commitments.filter(announced_on__lte=day)
    count = commitments.order_by().values("dialogue").annotate(n=Count("pk")).values("n")[:1]
    dialogues = Dialogue.objects.annotate(
        n_commitments=Coalesce(Subquery(count, output_field=IntegerField()), Value(0))
    ).order_by("name")
    rounds_by_dialogue: dict[int, list[Round]] = {}
    for round_ in held_by(list(Round.objects.order_by("dialogue_id", "number")), day):
        rounds_by_dialogue.setdefault(round_.dialogue_id, []).append(round_)
    return [
        DialogueSummary(
            dialogue=d,
            parties=[name for _, name in party_names(d)],
            n_commitments=d.n_commitments,
            rounds=rounds_by_dialogue.get(d.pk, []),
        )
        for d in dialogues
    ]


class DialoguePage(caching.CachedPage):
    """One dialogue as it stood on `day`: its rounds as a timeline, its commitments by objective,
    each with its status and the latest assessment of each party at the latest round held.

    `rounds` are the dialogue's rounds (selectors.rounds_held for `day`), read by the view outside
    the cached body. The body's figures are the scorecard of the latest round held, unfiltered."""

    def __init__(self, dialogue: Dialogue, rounds: list[Round], day: datetime.date | None = None):
        self.dialogue = dialogue
        self.rounds = rounds
        self.day = day
        self.held = held_by(rounds, day)
        self.latest_round = self.held[-1] if self.held else None

    def cache_parts(self) -> tuple:
        return ("dialogue", self.dialogue.pk)

    @cached_property
    def planned(self) -> list[Round]:
        """Rounds dated after the day shown: planned, not held yet."""
        return [r for r in self.rounds if r not in self.held]

    @cached_property
    def scorecard(self) -> Scorecard:
        return Scorecard(self.dialogue, self.latest_round, day=self.day)
