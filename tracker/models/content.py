"""Content in the reader's language: the French version of a name, title or description where one
was written, the English otherwise, and which language the shown text is in.

The one rule, used by every page, export and email: a French reader sees `<field>_fr` when it is
not blank, else the English `<field>`; an English reader always sees the English. The text shown
carries its language, so markup can say `lang="en"` when a French page falls back to English (and
a screen reader reads it as English). Quotes are never translated: they are the source's words,
in the source document's own language (SourceDocument.language).
"""

from dataclasses import dataclass

from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

# The language of the untranslated fields (`name`, `title`, `description`).
BASE_LANGUAGE = "en"
# The language that has its own `<field>_fr` columns.
FRENCH = "fr"


def active_language() -> str:
    """The reader's language as a bare code ("fr" for "fr-ca", "en" for "en-gb")."""
    return (get_language() or BASE_LANGUAGE).split("-")[0].lower()


@dataclass(frozen=True)
class Localized:
    """A text as shown to the reader, and the language it is written in."""

    text: str
    lang: str

    def __str__(self) -> str:
        return self.text

    def __bool__(self) -> bool:
        return bool(self.text)

    @property
    def foreign(self) -> bool:
        """Written in another language than the page's: its markup says which (`lang`)."""
        return bool(self.text) and self.lang != active_language()


def localized_text(
    english: str, french: str = "", *, base_language: str = BASE_LANGUAGE, language: str | None = None
) -> Localized:
    """The text for the active language: `french` for a French reader when it is not blank, the
    base text otherwise. `base_language` is the language the base text is written in. `language`:
    the reader's language (active_language()), for a page that shows hundreds of names and reads it
    once."""
    if french and (language or active_language()) == FRENCH:
        return Localized(french, FRENCH)
    return Localized(english or "", base_language)


def localized(item, field: str) -> Localized:
    """`item`'s `field` for the reader: a model with TranslatedContent decides the base text's
    language itself; any other object or dict (rows read with values_list) is taken as English,
    with its French in `<field>_fr` when it has one."""
    if isinstance(item, TranslatedContent):
        return item.localized(field)
    if isinstance(item, dict):
        return localized_text(item.get(field) or "", item.get(f"{field}_fr") or "")
    return localized_text(getattr(item, field, "") or "", getattr(item, f"{field}_fr", "") or "")


class TranslatedContent:
    """For models whose names, titles and descriptions may have a French version in `<field>_fr`."""

    def content_language(self, field: str) -> str:
        """The language `field` (the untranslated one) is written in: English unless said otherwise."""
        return BASE_LANGUAGE

    def localized(self, field: str, language: str | None = None) -> Localized:
        return localized_text(
            getattr(self, field) or "",
            getattr(self, f"{field}_fr", "") or "",
            base_language=self.content_language(field),
            language=language,
        )


def french_name_field(max_length: int, label=None) -> models.CharField:
    return models.CharField(
        label or _("name (French)"),
        max_length=max_length,
        blank=True,
        help_text=_("Shown to French readers; empty, they see the English, marked as English."),
    )


def french_description_field() -> models.TextField:
    return models.TextField(
        _("description (French)"),
        blank=True,
        help_text=_("Shown to French readers; empty, they see the English, marked as English."),
    )
