"""The agencies behind commitments, on each side of a dialogue."""

from django.db import models
from django.urls import reverse
from django_countries import countries
from simple_history.models import HistoricalRecords

from .dialogue import country_code_validator


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

    @property
    def country_name(self) -> str:
        return country_name(self.country)


def country_name(code: str) -> str:
    """A country's name ("United States") from its ISO code, in the reader's language; the code
    itself when it is not a known country."""
    return countries.name(code) or code
