"""The site's form widget templates (templates/django/forms/widgets/, each option written in place
for speed) write exactly the markup Django's own templates write, for every kind of widget the
site's forms and the admin use, blank and after a refused post."""

from django import forms
from django.forms.renderers import DjangoTemplates, get_default_renderer

from tracker.forms import StatusUpdateForm

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
