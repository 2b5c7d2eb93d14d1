"""The secret that lets a calendar program read a person's feeds without logging in.

What is stored is a random key; the address carries the key *signed* with the site's secret key
(tracker/services/calendar.py). A copy of the database alone therefore opens no feed (as with a
stored hash), while the site can still show the person their address again on every visit, which a
one-way hash would not allow: they would have to reset, and break every calendar already
subscribed, each time they wanted the address.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class CalendarToken(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_token"
    )
    # Replaced by a reset: every address signed over the old key stops working at once.
    key = models.CharField(max_length=32, unique=True)
    made_at = models.DateTimeField(_("made at"), default=timezone.now)

    class Meta:
        verbose_name = _("calendar feed token")
        verbose_name_plural = _("calendar feed tokens")

    def __str__(self):
        return f"{self.user} (since {self.made_at:%Y-%m-%d})"
