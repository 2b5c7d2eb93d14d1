"""The agencies behind commitments, on each side of a dialogue."""

import functools

from django.db import models
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django_countries import countries
from simple_history.models import HistoricalRecords

from ..slugs import SLUG_HELP, fill_blank_slug
from .content import BASE_LANGUAGE, FRENCH, TranslatedContent, french_description_field, french_name_field
from .dialogue import CountryCodesField, country_code_validator


def agency_label(name: str, acronym: str, country: str) -> str:
    """How an agency is named in lists and options: "National Aeronautics… (NASA) · US". Also for
    agencies read as values (the briefing's, a thousand in a dialogue at 100,000 commitments)."""
    label = f"{name} ({acronym})" if acronym else name
    return f"{label} · {country}"


class Agency(TranslatedContent, models.Model):
    name = models.CharField(max_length=200)
    name_fr = french_name_field(200)
    acronym = models.CharField(max_length=30, blank=True)
    slug = models.SlugField(max_length=100, unique=True, blank=True, help_text=SLUG_HELP)
    country = CountryCodesField(
        max_length=2,
        validators=[country_code_validator],
        db_index=True,
        help_text=_("The country's two-letter code, e.g. US or FR."),
    )
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )
    # Off unless said otherwise: a body staff add by hand is not quoted fact until someone ticks it
    # (the loader sets it from the file, always).
    named_in_source = models.BooleanField(
        default=False,
        help_text=_(
            "Tick only when the source document itself names this body; leave it unticked for one you add."
        ),
    )
    description = models.TextField(blank=True)
    description_fr = french_description_field()
    history = HistoricalRecords()

    class Meta:
        ordering = ["country", "name"]
        verbose_name_plural = "agencies"
        constraints = [
            models.UniqueConstraint(fields=["country", "name"], name="agency_unique_name_per_country"),
        ]

    def __str__(self):
        return agency_label(self.name, self.acronym, self.country)

    def save(self, *args, **kwargs):
        fill_blank_slug(self, self.name)
        super().save(*args, **kwargs)
        # Participations keep a copy of the country (see Participation.country).
        self.participations.exclude(country=self.country).update(country=self.country)

    def get_absolute_url(self):
        return reverse("tracker:agency_detail", args=[self.slug])

    def clean(self):
        fill_blank_slug(self, self.name)

    def content_language(self, field: str) -> str:
        return name_language(self.country) if field == "name" else BASE_LANGUAGE

    @property
    def country_name(self) -> str:
        return country_name(self.country)


def name_language(country: str) -> str:
    """The language an agency of `country` is named in (its `name`, untranslated), for rows read
    without the model (values_list) as well as through Agency.content_language."""
    # An agency's name is its own, official one: France's agencies are named in French (and
    # their names are not marked as English on a French page, nor left unmarked on an English one).
    return FRENCH if country == "FR" else BASE_LANGUAGE


def country_name(code: str) -> str:
    """A country's name ("United States") from its ISO code, in the reader's language; the code
    itself when it is not a known country."""
    return _country_name_in(get_language(), code)


@functools.lru_cache(maxsize=1024)
def _country_name_in(language: str | None, code: str) -> str:
    """django-countries works each name out afresh on every lookup (the code normalised, the name
    translated with its fallbacks): the scorecard's 200 agencies spent several ms naming their
    countries. The names are fixed for a language (the settings' overrides included), so each is
    looked up once per process and language; `language` is the active one, which countries.name()
    reads."""
    return countries.name(code) or code
