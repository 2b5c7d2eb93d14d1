from django import forms

from .models import StatusUpdate


class StatusUpdateForm(forms.ModelForm):
    """What an editor reports. Author and commitment come from the request, never from the form."""

    class Meta:
        model = StatusUpdate
        fields = ["reported_on", "status", "progress", "text", "evidence_url"]
        widgets = {
            # A native date picker needs ISO dates whatever the locale.
            "reported_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "progress": forms.NumberInput(attrs={"min": 0, "max": 100, "step": 1}),
            "text": forms.Textarea(attrs={"rows": 3}),
        }
        labels = {"reported_on": "Date", "progress": "Progress (%)"}
        help_texts = {"reported_on": "", "evidence_url": "Optional: a link to a record that shows it."}


def status_update_form_for(commitment) -> StatusUpdateForm:
    """A blank form that starts from where the commitment stands now."""
    return StatusUpdateForm(initial={"status": commitment.status, "progress": commitment.progress})
