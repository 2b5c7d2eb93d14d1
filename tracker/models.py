"""The tracker's data: dialogues, the documents that announced them, their objectives (themes),
the agencies behind them, the commitments made, and the append-only trail of status updates."""

import datetime

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords

country_code_validator = RegexValidator(
    r"^[A-Z]{2}$", "Use a two-letter ISO 3166-1 code in capitals, e.g. US."
)
party_codes_validator = RegexValidator(
    r"^[A-Z]{2}(,[A-Z]{2})+$", "List two or more ISO 3166-1 codes separated by commas, e.g. US,FR."
)


class Status(models.TextChoices):
    NOT_STARTED = "not_started", "Not started"
    ON_TRACK = "on_track", "On track"
    AT_RISK = "at_risk", "At risk"
    OFF_TRACK = "off_track", "Off track"
    COMPLETED = "completed", "Completed"
    DISCONTINUED = "discontinued", "Discontinued"


# A commitment in one of these states is finished: it can be neither overdue nor stale.
CLOSED_STATUSES = (Status.COMPLETED, Status.DISCONTINUED)
# Open states that need someone's attention, whatever the dates say.
TROUBLED_STATUSES = (Status.AT_RISK, Status.OFF_TRACK)


class Role(models.TextChoices):
    LEAD = "lead", "Lead"
    PARTNER = "partner", "Partner"


def overdue(status: str, due_on, today: datetime.date) -> bool:
    """Past its due date and not finished (the QuerySet's overdue() is the same rule in SQL)."""
    return status not in CLOSED_STATUSES and due_on is not None and due_on < today


def stale(status: str, last_update_on, announced_on, cutoff: datetime.date) -> bool:
    """Open, and its latest update (or, with none, its announcement) older than the cutoff."""
    return status not in CLOSED_STATUSES and (last_update_on or announced_on) < cutoff


def stale_cutoff(today: datetime.date | None = None) -> datetime.date:
    """The date before which a commitment's latest update counts as stale."""
    today = today or timezone.localdate()
    return today - datetime.timedelta(days=settings.TRACKER_STALE_AFTER_DAYS)


class Dialogue(models.Model):
    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    parties = models.CharField(
        max_length=100, validators=[party_codes_validator], help_text="Country codes, e.g. US,FR."
    )
    announced_on = models.DateField()
    description = models.TextField(blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-announced_on", "name"]

    def __str__(self):
        return self.name

    @property
    def party_codes(self) -> list[str]:
        return self.parties.split(",")


class SourceDocument(models.Model):
    title = models.CharField(max_length=300)
    publisher = models.CharField(max_length=200, blank=True)
    published_on = models.DateField()
    url = models.URLField(max_length=500, blank=True)
    text = models.TextField(help_text="The document's full text; every quote must appear in it verbatim.")
    history = HistoricalRecords()

    class Meta:
        ordering = ["-published_on", "title"]
        constraints = [
            models.UniqueConstraint(fields=["title", "published_on"], name="source_unique_title_date"),
        ]

    def __str__(self):
        return f"{self.title} ({self.published_on:%d %b %Y})"

    def get_absolute_url(self):
        return reverse("tracker:source_detail", args=[self.pk])


class Theme(models.Model):
    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    order = models.PositiveSmallIntegerField(default=0, help_text="Position on the overview.")
    history = HistoricalRecords()

    class Meta:
        ordering = ["order", "name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("tracker:theme_detail", args=[self.slug])


class Agency(models.Model):
    name = models.CharField(max_length=200)
    acronym = models.CharField(max_length=30, blank=True)
    slug = models.SlugField(max_length=100, unique=True)
    country = models.CharField(max_length=2, validators=[country_code_validator], db_index=True)
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )
    named_in_source = models.BooleanField(
        default=True,
        help_text="Unticked when the source document does not name this body and it was added by staff.",
    )
    description = models.TextField(blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["country", "name"]
        verbose_name_plural = "agencies"
        constraints = [
            models.UniqueConstraint(fields=["country", "name"], name="agency_unique_name_per_country"),
        ]

    def __str__(self):
        label = f"{self.name} ({self.acronym})" if self.acronym else self.name
        return f"{label} · {self.country}"

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        # Participations keep a copy of the country (see Participation.country).
        self.participations.exclude(country=self.country).update(country=self.country)

    def get_absolute_url(self):
        return reverse("tracker:agency_detail", args=[self.slug])


class CommitmentQuerySet(models.QuerySet):
    def open(self):
        return self.exclude(status__in=CLOSED_STATUSES)

    def overdue(self, today: datetime.date | None = None):
        return self.open().filter(due_on__lt=today or timezone.localdate())

    def stale(self, today: datetime.date | None = None):
        """Open commitments whose latest update (or, with none, whose announcement) is too old."""
        cutoff = stale_cutoff(today)
        return self.open().filter(
            Q(last_update_on__lt=cutoff) | Q(last_update_on__isnull=True, announced_on__lt=cutoff)
        )

    def needing_attention(self, today: datetime.date | None = None):
        """Overdue, at risk, off track or stale: what the overview asks staff to look at."""
        today = today or timezone.localdate()
        cutoff = stale_cutoff(today)
        return self.open().filter(
            Q(status__in=TROUBLED_STATUSES)
            | Q(due_on__lt=today)
            | Q(last_update_on__lt=cutoff)
            | Q(last_update_on__isnull=True, announced_on__lt=cutoff)
        )


class Commitment(models.Model):
    dialogue = models.ForeignKey(Dialogue, on_delete=models.PROTECT, related_name="commitments")
    slug = models.SlugField(max_length=100, help_text="Stable key within its dialogue, used by the loader.")
    title = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    themes = models.ManyToManyField(Theme, related_name="commitments", blank=True)
    agencies = models.ManyToManyField(Agency, through="Participation", related_name="commitments")
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )
    announced_on = models.DateField(db_index=True)
    due_on = models.DateField(null=True, blank=True, db_index=True)
    source = models.ForeignKey(
        SourceDocument, on_delete=models.PROTECT, null=True, blank=True, related_name="commitments"
    )
    quote = models.TextField(blank=True, help_text="The commitment's words, verbatim from the source.")
    # Current state: always that of the latest status update, kept in step by
    # tracker.services.status_update_create. Stored here so lists filter and sort without joins.
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.NOT_STARTED)
    progress = models.PositiveSmallIntegerField(
        default=0, validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    last_update_on = models.DateField(null=True, blank=True, db_index=True, editable=False)
    # Bumped by every save: the admin refuses a save made from an out-of-date form (see admin.py).
    version = models.PositiveIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    objects = CommitmentQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["dialogue", "slug"], name="commitment_unique_slug_per_dialogue"),
            models.CheckConstraint(
                condition=Q(progress__gte=0) & Q(progress__lte=100), name="commitment_progress_0_100"
            ),
            models.CheckConstraint(condition=Q(status__in=Status.values), name="commitment_status_valid"),
        ]
        indexes = [
            # Serves the status filter, and the status facet's GROUP BY (status, dialogue) reads it
            # in order without touching the table.
            models.Index(fields=["status", "dialogue"], name="commitment_status_dialogue"),
        ]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        if self.pk is not None:
            self.version += 1
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("tracker:commitment_detail", args=[self.pk])

    @property
    def is_overdue(self) -> bool:
        return overdue(self.status, self.due_on, timezone.localdate())

    @property
    def is_stale(self) -> bool:
        return stale(self.status, self.last_update_on, self.announced_on, stale_cutoff())


class Participation(models.Model):
    """An agency's part in a commitment: leading it or partnering on it."""

    commitment = models.ForeignKey(Commitment, on_delete=models.CASCADE, related_name="participations")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="participations")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.PARTNER)
    # A copy of agency.country, kept in step by save() here and by Agency.save(): counting the
    # commitments per country then needs no join, which is what makes the country facet fast.
    country = models.CharField(max_length=2, editable=False)
    history = HistoricalRecords()

    class Meta:
        ordering = ["role", "agency__country", "agency__name"]
        constraints = [
            models.UniqueConstraint(fields=["commitment", "agency"], name="participation_unique_agency"),
            models.CheckConstraint(condition=Q(role__in=Role.values), name="participation_role_valid"),
        ]
        indexes = [
            models.Index(fields=["agency", "role"], name="participation_agency_role"),
            models.Index(fields=["country", "commitment"], name="participation_country"),
        ]

    def __str__(self):
        return f"{self.agency} — {self.get_role_display().lower()} on “{self.commitment}”"

    def save(self, *args, **kwargs):
        self.country = self.agency.country
        super().save(*args, **kwargs)


class StatusUpdate(models.Model):
    """One dated report on a commitment. Append-only: a correction is a new update."""

    commitment = models.ForeignKey(Commitment, on_delete=models.PROTECT, related_name="updates")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="status_updates"
    )
    reported_on = models.DateField(default=timezone.localdate, help_text="The date the update describes.")
    status = models.CharField(max_length=20, choices=Status.choices)
    progress = models.PositiveSmallIntegerField(validators=[MinValueValidator(0), MaxValueValidator(100)])
    text = models.TextField("what happened")
    evidence_url = models.URLField("evidence link", max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-reported_on", "-created_at", "-id"]
        get_latest_by = ["reported_on", "created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(progress__gte=0) & Q(progress__lte=100), name="statusupdate_progress_0_100"
            ),
            models.CheckConstraint(condition=Q(status__in=Status.values), name="statusupdate_status_valid"),
        ]
        indexes = [
            models.Index(
                fields=["commitment", "-reported_on", "-created_at", "-id"], name="statusupdate_trail"
            ),
        ]

    def __str__(self):
        return f"{self.commitment} — {self.get_status_display()} ({self.progress}%) on {self.reported_on}"


class DataStamp(models.Model):
    """One row whose token changes with every write to the tracker's data (see tracker/caching.py).

    Cached page data is filed under the current token, so a write makes every cached answer
    unreachable at once, in every process. A token rather than a counter: a write that is rolled
    back must never leave a number that the next write would reuse.
    """

    token = models.CharField(max_length=32)
    changed_at = models.DateTimeField()

    def __str__(self):
        return f"data changed {self.changed_at:%Y-%m-%d %H:%M:%S}"
