"""Slugs (the short names in web addresses) made from names, the same way everywhere.

"U.S.–France bilateral space dialogue" → us-france-bilateral-space-dialogue, "Ministère de
l'Économie" → ministere-de-l-economie. static/js/admin-slug.js does the same in the admin as the
name is typed; change both together.
"""

import re
import unicodedata

from django.utils.translation import gettext_lazy as _

SLUG_HELP = _(
    "The short name used in web addresses; filled in from the name — change it only if you need to."
)
TITLE_SLUG_HELP = _(
    "The short name used in web addresses; filled in from the title — change it only if you need to."
)

# Letters that Unicode does not take apart into a plain letter and an accent.
SPELLED_OUT = str.maketrans(
    {"œ": "oe", "Œ": "Oe", "æ": "ae", "Æ": "Ae", "ß": "ss", "ø": "o", "Ø": "O", "ł": "l", "Ł": "L"}
    | {"đ": "d", "Đ": "D", "ð": "d", "Ð": "D", "þ": "th", "Þ": "Th"}
)
# The dot after a lone letter is an abbreviation's ("U.S.", "e.g."): dropped, so U.S. reads "us".
ABBREVIATION_DOT = re.compile(r"(?<![a-z0-9])([a-z])\.")
NOT_SLUG = re.compile(r"[^a-z0-9]+")


def slug_from_name(name: str, max_length: int = 100) -> str:
    """Accents dropped (é → e), other marks and dashes turned into hyphens, lower case, cut at a
    hyphen to fit `max_length`. "" for a name with no Latin letter or digit."""
    decomposed = unicodedata.normalize("NFKD", (name or "").translate(SPELLED_OUT))
    plain = "".join(c for c in decomposed if not unicodedata.category(c).startswith("M"))
    text = "".join(c if c.isascii() else " " for c in plain).lower()
    slug = NOT_SLUG.sub("-", ABBREVIATION_DOT.sub(r"\1", text)).strip("-")
    if len(slug) > max_length:
        slug = slug[:max_length]
        cut = slug.rfind("-")
        slug = slug[:cut] if cut > 0 else slug
    return slug


def fill_blank_slug(instance, name: str, **scope) -> None:
    """Give `instance` a slug from `name` when it has none, unique among its model's rows in `scope`
    (e.g. dialogue_id for a commitment): "-2", "-3"… added when another row has it already."""
    if instance.slug or not name:
        return
    max_length = instance._meta.get_field("slug").max_length
    base = slug_from_name(name, max_length)
    if not base:
        return
    taken = set(
        type(instance)
        ._default_manager.filter(slug__startswith=base, **scope)
        .exclude(pk=instance.pk)
        .values_list("slug", flat=True)
    )
    slug, number = base, 2
    while slug in taken:
        suffix = f"-{number}"
        slug = base[: max_length - len(suffix)].rstrip("-") + suffix
        number += 1
    instance.slug = slug
