"""The site's form widget templates (templates/django/forms/widgets/, each option written in place
for speed) write exactly the markup Django's own templates write, for every kind of widget the
site's forms and the admin use, blank and after a refused post; and so does components/_field.html
for the fields it writes from values prepared once (forms.WrittenField: the commitment page's forms)."""

import datetime

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates, get_default_renderer
from django.template.loader import get_template

from tracker.forms import AssessmentForm, StatusUpdateForm, written_fields
from tracker.models import Round

DJANGO_OWN = DjangoTemplates()  # Django's templates only: what the site's must equal


class EveryWidget(forms.Form):
    text = forms.CharField(help_text="Some help.", widget=forms.TextInput(attrs={"autofocus": True}))
    number = forms.IntegerField(widget=forms.NumberInput(attrs={"min": 0, "disabled": False}))
    day = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    choice = forms.ChoiceField(choices=[("", "None"), ("a", "A & B"), ("b", "“B”")])
    grouped = forms.ChoiceField(choices=[("Group <1>", [("x", "X"), ("y", "Y")]), ("z", "Z")])
    many = forms.MultipleChoiceField(choices=[("a", "A"), ("b", "B")], required=False)
    radio = forms.ChoiceField(choices=[("1", "+1"), ("0", "0")], widget=forms.RadioSelect)
    grouped_radio = forms.ChoiceField(
        choices=[("Group", [("p", "P"), ("q", "Q")])], widget=forms.RadioSelect(attrs={"class": "c"})
    )
    boxes = forms.MultipleChoiceField(
        choices=[("a", "A"), ("b", "B")], widget=forms.CheckboxSelectMultiple, required=False
    )
    agree = forms.BooleanField(required=False)
    hidden = forms.CharField(widget=forms.HiddenInput, required=False)
    upload = forms.FileField(required=False)


def markup(form_class, renderer, *args, **kwargs) -> list[str]:
    form = form_class(*args, renderer=renderer, **kwargs)
    return [str(field) for field in form]


def test_the_site_renders_form_widgets_through_its_own_templates():
    assert (
        get_default_renderer()
        .get_template("django/forms/widgets/select.html")
        .origin.name.endswith("templates/django/forms/widgets/select.html")
    )


def test_every_widget_blank_is_written_as_django_writes_it():
    ours = markup(EveryWidget, get_default_renderer(), initial={"choice": "a", "radio": "0", "boxes": ["b"]})
    django = markup(EveryWidget, DJANGO_OWN, initial={"choice": "a", "radio": "0", "boxes": ["b"]})
    assert ours == django


def test_every_widget_after_a_refused_post_is_written_as_django_writes_it():
    data = {"text": "<b>", "number": "x", "day": "soon", "choice": "nope", "grouped": "y", "many": ["b"]}
    data |= {"radio": "7", "boxes": ["a", "b"], "agree": "on", "hidden": '"quoted"'}
    ours = markup(EveryWidget, get_default_renderer(), data)
    assert ours == markup(EveryWidget, DJANGO_OWN, data)
    assert 'aria-invalid="true"' in "".join(ours)


def test_the_update_form_is_written_as_django_writes_it_blank_and_refused():
    blank = {"initial": {"status": "at_risk", "progress": 40, "reason": "funding"}}
    assert markup(StatusUpdateForm, get_default_renderer(), **blank) == markup(
        StatusUpdateForm, DJANGO_OWN, **blank
    )
    refused = {"reported_on": "2999-01-01", "status": "nope", "progress": "12,5", "reason": "zzz"}
    assert markup(StatusUpdateForm, get_default_renderer(), refused) == markup(
        StatusUpdateForm, DJANGO_OWN, refused
    )


FIELD = "tracker/components/_field.html"


def fields_markup(form_class, renderer, *args, written=False, **kwargs) -> str:
    """Every field of the form through components/_field.html: each a BoundField (its widget
    rendered by `renderer`), or `written` from prepared values."""
    form = form_class(*args, renderer=renderer, **kwargs)
    template = get_template(FIELD)
    fields = written_fields(form) if written else list(form)
    return "".join(template.render({"field": field}) for field in fields)


def assessment_form(*args, **kwargs):
    rounds = [Round(pk=4, number=1, held_on=datetime.date(2024, 3, 1), place="Paris & <Nice>")]
    rounds.append(Round(pk=9, number=2, held_on=datetime.date(2025, 3, 1)))
    return AssessmentForm(*args, rounds=rounds, parties=["US", "FR"], **kwargs)


def test_fields_written_from_prepared_values_are_written_as_django_writes_them():
    blank = {"initial": {"choice": "a", "radio": "0", "boxes": ["b"]}}
    refused = {"text": "<b>", "number": "x", "choice": "nope", "grouped": "y", "radio": "7", "agree": "on"}
    for args, kwargs in (((), blank), ((refused,), {})):
        written = fields_markup(EveryWidget, get_default_renderer(), *args, written=True, **kwargs)
        assert written == fields_markup(EveryWidget, DJANGO_OWN, *args, **kwargs)


@pytest.mark.django_db
def test_the_commitment_pages_forms_are_written_as_django_writes_them_blank_and_refused():
    update_blank = {"initial": {"status": "at_risk", "progress": 40, "reason": "funding"}}
    update_refused = {"reported_on": "2999-01-01", "status": "nope", "progress": "12,5", "text": "<i>"}
    assessment_blank = {"initial": {"round": 9, "assessed_on": datetime.date(2025, 3, 2)}}
    assessment_refused = {"round": "7", "party": "DE", "score": "2", "rationale": "", "evidence": "x"}
    cases = [
        (StatusUpdateForm, (), update_blank),
        (StatusUpdateForm, (update_refused,), {}),
        (assessment_form, (), assessment_blank),
        (assessment_form, (assessment_refused,), {}),
    ]
    for form_class, args, kwargs in cases:
        written = fields_markup(form_class, get_default_renderer(), *args, written=True, **kwargs)
        assert written == fields_markup(form_class, DJANGO_OWN, *args, **kwargs)
        assert "<input" in written
