"""A dialogue, the documents it was announced in, its objectives (themes) and its rounds."""

from django.conf import settings
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from ..slugs import SLUG_HELP, fill_blank_slug
from .content import TranslatedContent, french_description_field, french_name_field

country_code_validator = RegexValidator(
    r"^[A-Z]{2}$", _("Use a two-letter ISO 3166-1 code in capitals, e.g. US.")
)
party_codes_validator = RegexValidator(
    r"^[A-Z]{2}(,[A-Z]{2})+$", _("List two or more ISO 3166-1 codes separated by commas, e.g. US,FR.")
)


def tidy_codes(value: str) -> str:
    """Country codes as stored: capitals, commas, no spaces or empty entries (" us , fr" → "US,FR")."""
    return ",".join(code.strip().upper() for code in value.split(",") if code.strip())


class CountryCodesField(models.CharField):
    """One or more country codes, tidied rather than refused: whatever way a value comes in (a form,
    an import, the API, the loader, code), it is stored in capitals without spaces. Tidied in
    to_python (what full_clean runs) and again on save, for a value set in code."""

    def to_python(self, value):
        value = super().to_python(value)
        return tidy_codes(value) if value else value

    def pre_save(self, model_instance, add):
        value = self.to_python(getattr(model_instance, self.attname))
        setattr(model_instance, self.attname, value)
        return value


class Dialogue(TranslatedContent, models.Model):
    name = models.CharField(_("name"), max_length=200, unique=True)
    name_fr = french_name_field(200)
    slug = models.SlugField(max_length=100, unique=True, blank=True, help_text=SLUG_HELP)
    parties = CountryCodesField(
        _("parties"),
        max_length=100,
        validators=[party_codes_validator],
        help_text=_("The countries' two-letter codes, separated by commas, e.g. US,FR."),
    )
    announced_on = models.DateField(_("announced on"))
    description = models.TextField(_("description"), blank=True)
    description_fr = french_description_field()
    review_every_days = models.PositiveSmallIntegerField(
        _("review every (days)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text=_(
            "How often its commitments should be reviewed: a commitment's next review is its latest update "
            "plus this many days. Empty: the site's default."
        ),
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["-announced_on", "name"]
        verbose_name = _("dialogue")
        verbose_name_plural = _("dialogues")

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        fill_blank_slug(self, self.name)
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("tracker:dialogue_detail", args=[self.slug])

    def clean(self):
        fill_blank_slug(self, self.name)

    @property
    def party_codes(self) -> list[str]:
        return self.parties.split(",")


class SourceDocument(models.Model):
    title = models.CharField(max_length=300)
    publisher = models.CharField(max_length=200, blank=True)
    published_on = models.DateField()
    url = models.URLField(max_length=500, blank=True)
    text = models.TextField(
        help_text=_(
            "The document's full text, pasted as published: every commitment's quote is checked against it "
            "word for word."
        )
    )
    # Quotes are never translated: they are shown in this language, marked as such (lang=).
    language = models.CharField(
        _("language"),
        max_length=10,
        choices=settings.LANGUAGES,
        default="en",
        help_text=_("The language the document is written in: its quotes are shown as they are, in it."),
    )
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


class ThemeKind(models.TextChoices):
    # An objective the dialogue announced; governance is the running of the dialogue itself
    # (meeting, reporting), shown apart so it is not counted as one more objective.
    OBJECTIVE = "objective", _("Announced objective")
    GOVERNANCE = "governance", _("Dialogue governance")


class Theme(TranslatedContent, models.Model):
    """One of a dialogue's objectives. The slug stays unique across dialogues: /themes/<slug>/ is a
    bookmarkable address."""

    dialogue = models.ForeignKey(
        Dialogue,
        on_delete=models.PROTECT,
        null=True,
        related_name="themes",
        verbose_name=_("dialogue"),
        help_text=_("The dialogue whose objective this is."),
    )
    name = models.CharField(_("name"), max_length=200)
    name_fr = french_name_field(200)
    slug = models.SlugField(max_length=100, unique=True, blank=True, help_text=SLUG_HELP)
    kind = models.CharField(_("kind"), max_length=20, choices=ThemeKind.choices, default=ThemeKind.OBJECTIVE)
    description = models.TextField(_("description"), blank=True)
    description_fr = french_description_field()
    order = models.PositiveSmallIntegerField(_("order"), default=0, help_text=_("Position on the overview."))
    history = HistoricalRecords()

    class Meta:
        ordering = ["order", "name"]
        verbose_name = _("theme")
        verbose_name_plural = _("themes")
        constraints = [
            models.UniqueConstraint(fields=["dialogue", "name"], name="theme_unique_name_per_dialogue"),
            models.CheckConstraint(condition=Q(kind__in=ThemeKind.values), name="theme_kind_valid"),
        ]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        fill_blank_slug(self, self.name)
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("tracker:theme_detail", args=[self.slug])

    def clean(self):
        fill_blank_slug(self, self.name)

    @property
    def is_governance(self) -> bool:
        return self.kind == ThemeKind.GOVERNANCE


class Round(models.Model):
    """One meeting of a dialogue, at which the parties review what was promised."""

    dialogue = models.ForeignKey(
        Dialogue, on_delete=models.PROTECT, related_name="rounds", verbose_name=_("dialogue")
    )
    number = models.PositiveSmallIntegerField(_("number"), validators=[MinValueValidator(1)])
    held_on = models.DateField(_("date"))
    place = models.CharField(_("place"), max_length=200, blank=True)
    title = models.CharField(_("title"), max_length=300, blank=True)
    outcome = models.ForeignKey(
        SourceDocument,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="rounds",
        verbose_name=_("outcome document"),
        help_text=_("What the round produced, e.g. its joint statement."),
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["dialogue", "number"]
        verbose_name = _("round")
        verbose_name_plural = _("rounds")
        constraints = [
            models.UniqueConstraint(fields=["dialogue", "number"], name="round_unique_number_per_dialogue"),
            models.CheckConstraint(condition=Q(number__gte=1), name="round_number_positive"),
        ]

    def __str__(self):
        label = _("Round %(number)s") % {"number": self.number}
        return f"{label} — {self.title}" if self.title else str(label)
