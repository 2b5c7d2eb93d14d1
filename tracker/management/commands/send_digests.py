from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from tracker.services.digests import digests_send


class Command(BaseCommand):
    help = _(
        "Send this ISO week's digest to everyone who follows something and has something to report, "
        "once per person per week however often it runs (see README, 'The weekly digest')."
    )

    def handle(self, *args, **options):
        run = digests_send()
        self.stdout.write(
            _(
                "Digests for %(week)s: %(sent)d sent, %(nothing)d with nothing to report, %(taken)d taken "
                "by another run, %(refused)d refused, %(failed)d failed (retried by the next run)."
            )
            % {
                "week": run.week,
                "sent": len(run.sent),
                "nothing": run.nothing_to_report,
                "taken": run.taken,
                "refused": len(run.refused),
                "failed": len(run.failed),
            }
        )
        if run.failed:
            # A non-zero exit makes cron mail someone and systemd mark the unit failed: someone looks.
            raise SystemExit(1)
