"""Making commitments from the words of their source."""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from .. import drafting
from ..models import Agency, Commitment, Dialogue, Participation, Role, SourceDocument


@transaction.atomic
def commitment_create_from_source(
    *,
    source: SourceDocument,
    start: int,
    end: int,
    dialogue: Dialogue,
    title: str,
    by,
    description: str = "",
    announced_on: datetime.date | None = None,
    due_on: datetime.date | None = None,
    leads: list[Agency] = (),
    partners: list[Agency] = (),
) -> Commitment:
    """A new commitment of `dialogue` quoting `source` from `start` to `end`, with its lead and
    partner agencies, recorded in the history as made by `by`.

    The quote is cut here from the stored text by its offsets (drafting.chosen_passage), so it is
    verbatim by construction: no caller can hand in words the source does not hold. Raises
    ValidationError (offsets outside the text, a blank title, an agency both lead and partner…)
    before anything is written.
    """
    span = drafting.chosen_passage(source.text, start, end)
    title = " ".join((title or "").split())
    if not title:
        raise ValidationError({"title": _("Give the commitment a title.")}, code="required")
    both = {a.pk for a in leads} & {a.pk for a in partners}
    if both:
        raise ValidationError(_("An agency cannot both lead and partner the same commitment."), code="both")
    commitment = Commitment(
        dialogue=dialogue,
        slug=_free_slug(dialogue, title),
        title=title,
        description=description,
        announced_on=announced_on or source.published_on,
        due_on=due_on,
        source=source,
        quote=source.text[span.start : span.end],
    )
    commitment.full_clean()
    commitment._history_user = by
    commitment.save()
    for role, agencies in ((Role.LEAD, leads), (Role.PARTNER, partners)):
        for agency in agencies:
            participation = Participation(commitment=commitment, agency=agency, role=role)
            participation._history_user = by
            participation.save()
    return commitment


def _free_slug(dialogue: Dialogue, title: str) -> str:
    """A slug from the title, unique within the dialogue (the loader's key): "-2", "-3"… when taken."""
    base = slugify(title)[:90].strip("-") or "commitment"
    taken = set(
        Commitment.objects.filter(dialogue=dialogue, slug__startswith=base).values_list("slug", flat=True)
    )
    slug, number = base, 1
    while slug in taken:
        number += 1
        slug = f"{base}-{number}"
    return slug
