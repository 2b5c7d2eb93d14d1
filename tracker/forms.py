from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import StatusUpdate


class StatusUpdateForm(forms.ModelForm):
    """What an editor reports. Author and commitment come from the request, never from the form."""

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
        labels = {"reported_on": "Date", "progress": "Progress (%)"}
        help_texts = {"reported_on": "", "evidence_url": "Optional: a link to a record that shows it."}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The date picker offers no future day; the model's validator is what refuses one.
        self.fields["reported_on"].widget.attrs["max"] = timezone.localdate().isoformat()


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
