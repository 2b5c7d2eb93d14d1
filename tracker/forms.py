import datetime

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import html_safe
from django.utils.translation import gettext_lazy as _

from .caching import blank_form_key
from .evidence import ALLOWED_KINDS, ALLOWED_WORDS, check_evidence_file, max_bytes
from .imports.announcements import AnnouncementRefused, extract_text, tidy
from .models import (
    Dialogue,
    Role,
    SlipReason,
    SourceDocument,
    StatusUpdate,
    country_name,
    not_in_the_future,
    score_display,
)
from .models.api_token import DEFAULT_LIFETIME_DAYS, MAX_LIFETIME_DAYS, TokenScope
from .services.api_tokens import api_token_expiry_problem

# --- evidence files -----------------------------------------------------------------------------

# More than this in one post is refused with a message (Django's own limit would answer 400).
MAX_FILES_PER_POST = 10


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class EvidenceFilesField(forms.FileField):
    """Any number of files (up to MAX_FILES_PER_POST), each checked from its content
    (tracker/evidence.py). Cleans to a list of uploads, empty when none was chosen; each refused file
    gets its own message, naming it."""

    widget = MultipleFileInput

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("label", _("Evidence files"))
        super().__init__(**kwargs)
        # A hint for the browser's file picker; what counts is the check of each file's content.
        accept = sorted({e for kind in ALLOWED_KINDS.values() for e in kind.extensions} | set(ALLOWED_KINDS))
        self.widget.attrs["accept"] = ",".join(accept)

    @property
    def help_text_for_limit(self):
        return _("Optional: %(allowed)s, up to %(limit)s each. After a refused post, choose them again.") % {
            "allowed": ALLOWED_WORDS,
            "limit": filesizeformat(max_bytes()),
        }

    def clean(self, data, initial=None):
        uploads = [upload for upload in (data if isinstance(data, list | tuple) else [data]) if upload]
        if len(uploads) > MAX_FILES_PER_POST:
            raise ValidationError(
                _("At most %(limit)s files at a time: %(count)s were chosen.")
                % {"limit": MAX_FILES_PER_POST, "count": len(uploads)},
                code="too_many",
            )
        problems = []
        for upload in uploads:
            try:
                check_evidence_file(upload)
            except ValidationError as error:
                problems.extend(error.messages)
        if problems:
            raise ValidationError(problems)
        return uploads


def with_evidence_files(form) -> None:
    """Give `form` its files field's help text now: the size limit is a setting, read when shown."""
    field = form.fields["files"]
    field.help_text = field.help_text_for_limit


# --- fields written from values prepared once ------------------------------------------------------

WIDGETS = "django/forms/widgets/"
# Django's widget templates that only include its input.html: the same <input> for each.
INPUT_TEMPLATES = {
    f"{WIDGETS}{name}.html"
    for name in ("text", "number", "email", "url", "password", "date", "datetime", "time", "file", "hidden")
}
CHOICE_TEMPLATES = {f"{WIDGETS}radio.html", f"{WIDGETS}checkbox_select.html"}
CHOICE_OPTION_TEMPLATES = {f"{WIDGETS}radio_option.html", f"{WIDGETS}checkbox_option.html"}


def written_attributes(attrs: dict) -> list[tuple[str, str | None]]:
    """A widget's attributes as Django's attrs.html writes them: False ones left out, True ones as a
    bare name (None here), the others as their text."""
    return [
        (name, None if value is True else str(value)) for name, value in attrs.items() if value is not False
    ]


def _written_option(option: dict) -> dict:
    value = option["value"]
    return {
        "value": None if value is None else str(value),
        "text": str(value),  # as select_option.html writes it, None too
        "label": option["label"],
        "attrs": written_attributes(option["attrs"]),
        "id": option["attrs"].get("id"),
        "wrap_label": option["wrap_label"],
        "type": option.get("type"),
        "name": option["name"],
    }


def _written_input(widget: dict) -> dict:
    value = widget["value"]
    return {
        "type": widget["type"],
        "name": widget["name"],
        "value": None if value is None else str(value),
        "attrs": written_attributes(widget["attrs"]),
    }


def _written_widget(widget: dict, hidden_initial: dict | None = None) -> dict | None:
    """Django's context of a widget (Widget.get_context) as the values components/_field.html prints,
    or None for a widget it does not write (its own template then renders it). `hidden_initial`: the
    context of the hidden input that follows a field with `show_hidden_initial` (an input only)."""
    template = widget["template_name"]
    if template in INPUT_TEMPLATES:
        inputs = [widget] if hidden_initial is None else [widget, hidden_initial]
        return {"kind": "input", "inputs": [_written_input(each) for each in inputs]}
    if hidden_initial is not None:
        return None
    written = {"name": widget["name"], "attrs": written_attributes(widget["attrs"])}
    if template == f"{WIDGETS}textarea.html":
        return written | {"kind": "textarea", "value": widget["value"]}
    groups = widget.get("optgroups", ())
    options = [option for _, group, _ in groups for option in group]
    if template == f"{WIDGETS}select.html" and all(
        option["template_name"] == f"{WIDGETS}select_option.html" for option in options
    ):
        groups = [(name, [_written_option(option) for option in group]) for name, group, _ in groups]
        return written | {"kind": "select", "groups": groups}
    if template in CHOICE_TEMPLATES and all(
        option["template_name"] in CHOICE_OPTION_TEMPLATES for option in options
    ):
        groups = [(name, [_written_option(option) for option in group]) for name, group, _ in groups]
        attrs = widget["attrs"]
        return written | {
            "kind": "choices",
            "groups": groups,
            "id": attrs.get("id"),
            "class": attrs.get("class"),
        }
    return None


@html_safe
class WrittenField:
    """A bound field as components/_field.html prints it: its label, errors and help text, and its
    widget's markup written from Django's own context of the widget (the same values, attributes and
    options, so the same markup) by that template, not rendered through a template of its own per
    widget: the commitment page's two forms took a fifth of the page's time that way. Printed
    (`{{ field }}`), it is the widget as Django renders it: for a widget `written` is None for."""

    def __init__(self, bound):
        self.bound = bound
        self.name = bound.name
        self.label = bound.label
        self.errors = bound.errors
        self.help_text = bound.help_text
        self.auto_id = bound.auto_id
        self.id_for_label = bound.id_for_label
        self.use_fieldset = bound.use_fieldset
        field = bound.field
        if field.localize:
            self.written = None
        else:
            hidden_initial = self.widget_context(only_initial=True) if field.show_hidden_initial else None
            self.written = _written_widget(self.widget_context(), hidden_initial)

    def widget_context(self, only_initial: bool = False) -> dict:
        """The widget's context as BoundField.as_widget asks Widget.render for it (`only_initial`:
        the hidden input of the field's initial value, as BoundField.as_hidden)."""
        bound = self.bound
        widget = bound.field.hidden_widget() if only_initial else bound.field.widget
        attrs = bound.build_widget_attrs({}, widget)
        if bound.auto_id and "id" not in widget.attrs:
            attrs.setdefault("id", bound.html_initial_id if only_initial else bound.auto_id)
        if only_initial and bound.html_initial_name in bound.form.data:
            name = bound.html_initial_name
            value = widget.value_from_datadict(bound.form.data, bound.form.files, name)
        else:
            name = bound.html_initial_name if only_initial else bound.html_name
            value = bound.value()
        return widget.get_context(name, value, attrs)["widget"]

    def __str__(self):
        return str(self.bound)


def written_fields(form, names=None) -> list[WrittenField]:
    """The form's fields (those named, in that order; all by default) to print through
    components/_field.html."""
    return [WrittenField(form[name]) for name in (names or form.fields)]


class BlankFieldsCached:
    """A form whose blank fields are the same markup for everyone offered the same starting values
    (no CSRF token among them: the form tag's template writes it): its template caches them under
    `blank_fields_key` (caching.blank_form_key), so they are rendered once, not on every page. The
    forms of the commitment page cost an editor more to render than any other part of it."""

    cache_seconds = settings.TRACKER_CACHE_SECONDS

    @property
    def blank_fields_key(self) -> str:
        return blank_form_key(self)


class StatusUpdateForm(BlankFieldsCached, forms.ModelForm):
    """What an editor reports. Author and commitment come from the request, never from the form."""

    # Shown apart, under a hint: they matter only for an update that slips (rules.SLIP_STATUSES).
    SLIP_FIELDS = ("reason", "reason_note")
    SLIP_HINT = _(
        "Only for an update that is at risk, off track or discontinued: choose why it slipped "
        "(with a few words when the reason is “other”). Left out of any other update."
    )

    files = EvidenceFilesField()

    class Meta:
        model = StatusUpdate
        fields = ["reported_on", "status", "progress", "text", "evidence_url", "reason", "reason_note"]
        widgets = {
            # A native date picker needs ISO dates whatever the locale.
            "reported_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "progress": forms.NumberInput(attrs={"min": 0, "max": 100, "step": 1}),
            "text": forms.Textarea(attrs={"rows": 3}),
            "reason_note": forms.Textarea(attrs={"rows": 2}),
        }
        labels = {
            "reported_on": _("Date"),
            "status": _("Status"),
            "progress": _("Progress (%)"),
            "text": _("What happened"),
            "evidence_url": _("Evidence link"),
            "reason": _("Reason for slippage"),
            "reason_note": _("The reason, in a few words"),
        }
        # Progress is a whole percentage: "12,5" (a French decimal) or "12.5" is refused in words
        # that say what to type, rather than Django's bare "Enter a whole number."
        error_messages = {
            "progress": {
                "invalid": _(
                    "Progress is a whole number from 0 to 100, without decimals: type 12 or 13, not 12,5."
                ),
            }
        }
        help_texts = {
            "reported_on": "",
            "evidence_url": _("Optional: a link to a record that shows it."),
            "reason": "",  # the fieldset's hint says when it is needed
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The date picker offers no future day; the model's validator is what refuses one.
        self.fields["reported_on"].widget.attrs["max"] = timezone.localdate().isoformat()
        self.fields["reason"].choices = [("", _("None: it has not slipped")), *SlipReason.choices]
        with_evidence_files(self)

    def main_fields(self):
        return written_fields(self, [name for name in self.fields if name not in self.SLIP_FIELDS])

    def slip_fields(self):
        return written_fields(self, self.SLIP_FIELDS)


class WithdrawalForm(forms.Form):
    """Why an update is withdrawn, or restored: the record must explain itself."""

    reason = forms.CharField(
        label=_("Reason"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("Give a reason: say why, so the record explains itself.")},
    )


def status_update_form_for(commitment) -> StatusUpdateForm:
    """A blank form that starts from where the commitment stands now."""
    return StatusUpdateForm(
        initial={
            "status": commitment.status,
            "progress": commitment.progress,
            "reason": commitment.slip_reason,
        }
    )


# --- assessments --------------------------------------------------------------------------------

# The answer "no evidence available" in a form: the service records it as score None.
NO_EVIDENCE_CHOICE = "none"
SCORE_CHOICES = [
    *((str(value), score_display(value).label) for value in (1, 0, -1)),
    (NO_EVIDENCE_CHOICE, score_display(None).label),
]
SCORE_OFF_SCALE = _("Choose a score on the scale: +1, 0, −1, or “No evidence available”.")


def score_from_choice(choice: str) -> int | None:
    """The score a form's choice stands for: +1, 0, −1, or None for "no evidence available"."""
    return None if choice == NO_EVIDENCE_CHOICE else int(choice)


def round_label(round) -> str:
    return f"{round} ({date_format(round.held_on)})"


class AssessmentForm(BlankFieldsCached, forms.Form):
    """One party's score on a commitment at one round. The commitment and the assessor come from the
    request; the rounds and parties offered are the commitment's dialogue's, given by the caller."""

    round = forms.TypedChoiceField(
        label=_("Round"),
        coerce=int,
        error_messages={"invalid_choice": _("Choose a round of this commitment's own dialogue.")},
    )
    party = forms.ChoiceField(label=_("Party"), widget=forms.RadioSelect)
    score = forms.ChoiceField(
        label=_("Score"),
        choices=SCORE_CHOICES,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": SCORE_OFF_SCALE, "required": SCORE_OFF_SCALE},
    )
    rationale = forms.CharField(
        label=_("Rationale"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Why this score: what was done, or not, and on what evidence."),
        error_messages={"required": _("Give the rationale: why this score, on what evidence.")},
    )
    evidence = forms.CharField(
        label=_("Evidence links"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("One link per line: the records the score rests on."),
    )
    files = EvidenceFilesField()
    assessed_on = forms.DateField(
        label=_("Date"),
        validators=[not_in_the_future],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def __init__(self, *args, rounds, parties, **kwargs):
        # Its own ids: the update form on the same page has fields of the same names (files).
        kwargs.setdefault("auto_id", "assessment_%s")
        super().__init__(*args, **kwargs)
        self.rounds = {r.pk: r for r in rounds}
        self.fields["round"].choices = [(r.pk, round_label(r)) for r in rounds]
        self.fields["party"].choices = [(code, country_name(code)) for code in parties]
        self.fields["party"].error_messages["invalid_choice"] = _(
            "%(value)s is not a party to this dialogue (parties: %(parties)s)."
        ) % {"value": "%(value)s", "parties": ", ".join(country_name(code) for code in parties)}
        self.fields["assessed_on"].widget.attrs["max"] = timezone.localdate().isoformat()
        with_evidence_files(self)

    def written_fields(self):
        return written_fields(self)

    def clean_round(self):
        return self.rounds[self.cleaned_data["round"]]

    def clean_score(self):
        return score_from_choice(self.cleaned_data["score"])

    def clean_evidence(self):
        lines = [line.strip() for line in self.cleaned_data["evidence"].splitlines() if line.strip()]
        check_url = URLValidator()
        for number, line in enumerate(lines, start=1):
            try:
                check_url(line)
            except ValidationError:
                raise ValidationError(
                    _("Line %(number)s is not a web address: “%(line)s”. Give one link per line.")
                    % {"number": number, "line": line[:200]},
                    code="invalid",
                ) from None
        return "\n".join(lines)

    def add_service_errors(self, error: ValidationError) -> None:
        """Show what the service refused (it names the field) on the form, never as a server error."""
        for name, messages in getattr(error, "message_dict", {None: error.messages}).items():
            self.add_error(name if name in self.fields else None, messages)


def assessment_form_for(commitment, data=None, files=None) -> AssessmentForm:
    """The assessment form for `commitment` (its `dialogue` loaded, its `rounds` the dialogue's, as
    CommitmentPage.summary carries them): blank, at the latest round held and today, or bound to `data`."""
    rounds = commitment.rounds
    today = timezone.localdate()
    held = [r for r in rounds if r.held_on <= today]
    return AssessmentForm(
        data,
        files,
        rounds=rounds,
        parties=commitment.dialogue.party_codes,
        initial={"round": held[-1].pk if held else None, "assessed_on": today},
    )


# --- from an announcement to commitments ---------------------------------------------------------------


class SourceDocumentForm(forms.ModelForm):
    """A new source: its text pasted, or read from a file (tracker.imports.announcements)."""

    file = forms.FileField(
        label=_("Or upload the file"),
        required=False,
        help_text=_("A .txt, .html, .pdf or .docx file: its text is read here, nothing is sent anywhere."),
        widget=forms.ClearableFileInput(attrs={"accept": ".txt,.html,.htm,.pdf,.docx"}),
    )
    url = forms.URLField(
        label=_("Address (URL)"),
        required=False,
        max_length=500,
        assume_scheme="https",
        help_text=_("Optional: where it was published."),
    )

    field_order = ["title", "publisher", "published_on", "url", "language", "text", "file"]

    class Meta:
        model = SourceDocument
        # The address is declared above (to say https is assumed), and set in clean().
        fields = ["title", "publisher", "published_on", "language", "text"]
        widgets = {
            "published_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "text": forms.Textarea(attrs={"rows": 12}),
        }
        labels = {
            "title": _("Title"),
            "publisher": _("Publisher"),
            "published_on": _("Date published"),
            "language": _("Language"),
            "text": _("Paste the text"),
        }
        help_texts = {
            "publisher": _("Who issued it, as the text gives it (e.g. “The White House”)."),
            "text": _("The whole announcement: commitments quote it word for word."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["text"].required = False
        # Left out of a post (an older form, a script), the model's default: English.
        self.fields["language"].required = False
        self.notes = []

    def clean(self):
        cleaned = super().clean()
        upload, text = cleaned.get("file"), (cleaned.get("text") or "").strip()
        if upload and text:
            raise ValidationError(_("Paste the text or upload a file, not both."), code="both")
        if upload:
            try:
                extracted = extract_text(upload)
            except AnnouncementRefused as refused:
                self.add_error("file", str(refused))
                return cleaned
            cleaned["text"], self.notes = extracted.text, extracted.notes
        elif text:
            cleaned["text"] = tidy(text)
        else:
            raise ValidationError(_("Paste the announcement's text, or upload it as a file."), code="empty")
        self.instance.text = cleaned["text"]
        self.instance.url = cleaned.get("url") or ""
        title, published_on = cleaned.get("title"), cleaned.get("published_on")
        if (
            title
            and published_on
            and SourceDocument.objects.filter(title=title, published_on=published_on).exists()
        ):
            self.add_error(
                "title",
                _(
                    "A source with this title and date is already in the tracker: give this one its own title."
                ),
            )
        return cleaned

    def validate_unique(self):
        """The one constraint (title and date) is checked in clean(), with a message in plain words."""


class CommitmentDraftForm(forms.Form):
    """A commitment made from a chosen passage: its quote is not a field (the service cuts it from the
    source by its offsets); the agencies the passage's sentence names are offered with a role each."""

    NOT_INVOLVED = ""
    ROLE_CHOICES = [(NOT_INVOLVED, _("Not involved")), (Role.LEAD, _("Lead")), (Role.PARTNER, _("Partner"))]

    dialogue = forms.ModelChoiceField(
        label=_("Dialogue"),
        queryset=Dialogue.objects.all(),
        empty_label=None,
        error_messages={"invalid_choice": _("Choose one of the dialogues listed.")},
    )
    title = forms.CharField(
        label=_("Title"), max_length=300, help_text=_("A short name for the list, in your own words.")
    )
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    announced_on = forms.DateField(
        label=_("Announced on"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    due_on = forms.DateField(
        label=_("Due on"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )

    def __init__(self, *args, named_agencies=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.named_agencies = list(named_agencies)
        for agency in self.named_agencies:
            self.fields[f"role_{agency.pk}"] = forms.ChoiceField(
                label=str(agency), choices=self.ROLE_CHOICES, required=False, initial=Role.PARTNER
            )

    def role_fields(self):
        return [self[f"role_{agency.pk}"] for agency in self.named_agencies]

    def agencies_by_role(self) -> dict:
        chosen = {Role.LEAD: [], Role.PARTNER: []}
        for agency in self.named_agencies:
            role = self.cleaned_data.get(f"role_{agency.pk}")
            if role in chosen:
                chosen[role].append(agency)
        return chosen

    def add_service_errors(self, error: ValidationError) -> None:
        for name, messages in getattr(error, "message_dict", {None: error.messages}).items():
            self.add_error(name if name in self.fields else None, messages)


# --- personal API tokens ------------------------------------------------------------------------


class APITokenForm(forms.Form):
    """A new personal API token: its name, what it may do and when it stops working."""

    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        help_text=_("What the token is for, e.g. “agency sync script”: only you and administrators see it."),
    )
    scope = forms.ChoiceField(
        label=_("What it may do"),
        choices=TokenScope.choices,
        initial=TokenScope.READ,
        widget=forms.RadioSelect,
    )
    expires_on = forms.DateField(
        label=_("Expires on"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("It stops working after this day: at most a year from today."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        field = self.fields["expires_on"]
        field.initial = today + datetime.timedelta(days=DEFAULT_LIFETIME_DAYS)
        field.widget.attrs["min"] = (today + datetime.timedelta(days=1)).isoformat()
        field.widget.attrs["max"] = (today + datetime.timedelta(days=MAX_LIFETIME_DAYS)).isoformat()

    def clean_expires_on(self):
        expires_on = self.cleaned_data["expires_on"]
        problem = api_token_expiry_problem(expires_on)
        if problem:
            raise ValidationError(problem, code="expiry")
        return expires_on
