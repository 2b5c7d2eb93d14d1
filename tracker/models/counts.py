"""The commitments counted by dialogue and status, overall and per theme, agency, country and reason
for slippage: a small table kept in step by database triggers (see tracker/counts.py)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

# The dialogue of the rows that count every dialogue's commitments together: an unfiltered list or
# overview then reads a few rows per theme or agency, not one per dialogue as well.
ANY_DIALOGUE = 0


class CountDimension(models.TextChoices):
    ALL = "all", _("all")
    THEME = "theme", _("theme")
    AGENCY = "agency", _("agency")
    COUNTRY = "country", _("country")
    REASON = "reason", _("reason")


class CommitmentCount(models.Model):
    """How many commitments of one dialogue in one status fall under one theme, agency, country or
    reason (`code`: the theme or agency id, the country or reason code; "" for all), and the sum of
    their progress; each count is kept twice, under its dialogue and under ANY_DIALOGUE. Written only
    by the triggers tracker/counts.py installs: never save one."""

    dimension = models.CharField(max_length=10, choices=CountDimension.choices)
    code = models.CharField(max_length=20, blank=True)
    # Plain numbers, not foreign keys: the rows follow the commitments' writes and must not take part
    # in Django's deletion of a dialogue.
    dialogue_id = models.BigIntegerField()
    status = models.CharField(max_length=20)
    n = models.IntegerField(default=0)
    progress_sum = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["dimension", "code", "dialogue_id", "status"], name="commitmentcount_unique"
            ),
        ]
        indexes = [
            # What the facets read: one dialogue's rows (or ANY_DIALOGUE's), in the statuses chosen.
            models.Index(fields=["dialogue_id", "status"], name="commitmentcount_dialogue"),
            # One dimension's rows of one dialogue (or ANY_DIALOGUE's) in the order of their codes, so
            # that summing them by code needs no sort: every theme's or agency's count in a list of
            # every dialogue (the unique key's order would read every dialogue's rows).
            models.Index(
                fields=["dimension", "dialogue_id", "code", "status"], name="commitmentcount_dimension"
            ),
        ]

    def __str__(self):
        return f"{self.dimension} {self.code} · dialogue {self.dialogue_id} · {self.status}: {self.n}"


class CommitmentCountry(models.Model):
    """One country a commitment's agencies come from: each commitment's distinct countries, one row
    each, however many of its agencies share one. Written only by the triggers
    tracker/commitment_countries.py installs on the participations: never save one.

    The list's country facet counts the commitments of each country among those a filter or search
    matches: counted from the participations, that needed a DISTINCT over every participation of
    the matches, read from the table; here each row is one commitment of one country, and a plain
    COUNT reads them from the unique index alone (a search matching 4,300 of 10,000 commitments:
    14 → 8 ms on SQLite; 42,800 of 100,000: 157 → 90 ms; medians on a shared machine)."""

    # Not a constraint, and no part of Django's deletions: the triggers take a commitment's rows
    # away with its participations, which Django deletes before the commitment.
    commitment = models.ForeignKey(
        "tracker.Commitment",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,  # the unique key starts with it
        related_name="+",
    )
    country = models.CharField(max_length=2)

    class Meta:
        constraints = [
            # Also what the facet reads: the matches' countries, from the index alone.
            models.UniqueConstraint(fields=["commitment", "country"], name="commitmentcountry_unique"),
        ]

    def __str__(self):
        return f"commitment {self.commitment_id} · {self.country}"
