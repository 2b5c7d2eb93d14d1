"""Per-side assessments: at each round, each party scored on each commitment, as the G7/G20
Research Groups score compliance. Append-only like the trail: a correction is a new assessment,
and the latest for (commitment, party, round) counts."""

from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .. import rules
from .commitment import Commitment, not_in_the_future
from .dialogue import CountryCodesField, Round


class Score(models.IntegerChoices):
    FULL = 1, _("Full compliance")
    PARTIAL = 0, _("Partial compliance or work in progress")
    NONE = -1, _("No compliance")


# An assessment without a score: "no evidence available" is its own answer, never a zero.
NO_EVIDENCE_LABEL = _("No evidence available")
NOT_ASSESSED_LABEL = _("Not assessed")


@dataclass(frozen=True)
class ScoreDisplay:
    """How a scorecard cell reads, wherever it is shown: a symbol (none for the two answers without
    a score), words, and a key for its colour (CSS class `score-<key>`), never colour alone."""

    key: str
    symbol: str
    words: str  # lazy: translated when shown, in the reader's language

    @property
    def css(self) -> str:
        return f"score-{self.key}"

    @property
    def label(self) -> str:
        """Symbol and words in one string (lazy too), for a form's choices: "+1 Full compliance"."""
        return format_lazy("{} {}", self.symbol, self.words) if self.symbol else self.words


SCORE_KEYS = {Score.FULL: ("full", "+1"), Score.PARTIAL: ("partial", "0"), Score.NONE: ("none", "−1")}


def score_display(cell) -> ScoreDisplay:
    """The display of a scorecard cell (Assessment.cell): +1, 0 or −1, rules.NO_EVIDENCE (or None,
    an assessment's score when there was no evidence), or anything else for not assessed."""
    if cell in SCORE_KEYS and not isinstance(cell, bool):
        key, symbol = SCORE_KEYS[cell]
        return ScoreDisplay(key, symbol, Score(cell).label)
    if cell is None or cell == rules.NO_EVIDENCE:
        return ScoreDisplay("no-evidence", "", NO_EVIDENCE_LABEL)
    return ScoreDisplay("unassessed", "", NOT_ASSESSED_LABEL)


class AssessmentQuerySet(models.QuerySet):
    def latest_first(self):
        """In the order that decides which counts: the latest recorded for each (commitment, party,
        round) comes first."""
        return self.order_by("commitment_id", "party", "round_id", "-created_at", "-id")


class Assessment(models.Model):
    commitment = models.ForeignKey(
        Commitment, on_delete=models.PROTECT, related_name="assessments", verbose_name=_("commitment")
    )
    round = models.ForeignKey(
        Round, on_delete=models.PROTECT, related_name="assessments", verbose_name=_("round")
    )
    party = CountryCodesField(_("party"), max_length=2, help_text=_("The country code of the side assessed."))
    # +1, 0 or −1; NULL is "no evidence available", which every average leaves out.
    score = models.SmallIntegerField(_("score"), choices=Score.choices, null=True, blank=True)
    rationale = models.TextField(_("rationale"))
    evidence = models.TextField(
        _("evidence links"), blank=True, help_text=_("One link per line: the records the score rests on.")
    )
    assessor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="assessments",
        verbose_name=_("assessor"),
    )
    assessed_on = models.DateField(_("date"), default=timezone.localdate, validators=[not_in_the_future])
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    history = HistoricalRecords()

    objects = AssessmentQuerySet.as_manager()

    class Meta:
        ordering = ["round__number", "party", "-created_at", "-id"]
        verbose_name = _("assessment")
        verbose_name_plural = _("assessments")
        constraints = [
            models.CheckConstraint(
                condition=Q(score__isnull=True) | Q(score__in=Score.values), name="assessment_score_valid"
            ),
        ]
        indexes = [
            models.Index(
                fields=["round", "commitment", "party", "-created_at", "-id"], name="assessment_latest"
            ),
            models.Index(fields=["commitment", "round"], name="assessment_commitment"),
        ]

    def __str__(self):
        return f"{self.commitment} — {self.party}, {self.round}: {self.score_label}"

    @property
    def is_no_evidence(self) -> bool:
        return self.score is None

    @property
    def score_label(self) -> str:
        return str(NO_EVIDENCE_LABEL) if self.score is None else self.get_score_display()

    @property
    def evidence_links(self) -> list[str]:
        return [line.strip() for line in self.evidence.splitlines() if line.strip()]

    def clean(self):
        """The party must be one of the dialogue's, the round the dialogue's own, and each evidence
        line a web address; the messages name the field at fault."""
        problems = {}
        commitment = self.commitment if self.commitment_id else None
        if commitment is not None:
            parties = commitment.dialogue.party_codes
            if self.party not in parties:
                problems["party"] = _("%(party)s is not a party to this dialogue (parties: %(parties)s).") % {
                    "party": self.party or "—",
                    "parties": ", ".join(parties),
                }
            if self.round_id is not None and self.round.dialogue_id != commitment.dialogue_id:
                problems["round"] = _("Choose a round of this commitment's own dialogue.")
        check_url = URLValidator()
        for line in self.evidence_links:
            try:
                check_url(line)
            except ValidationError:
                problems["evidence"] = _("Each evidence line must be a web address: %(line)s") % {
                    "line": line
                }
                break
        if not (self.rationale or "").strip():
            problems["rationale"] = _("Give the rationale: why this score, on what evidence.")
        if problems:
            raise ValidationError(problems)

    @property
    def cell(self):
        """This assessment as a scorecard cell (rules.summarize_scores): its score, or NO_EVIDENCE."""
        return rules.score_cell(self.score)
