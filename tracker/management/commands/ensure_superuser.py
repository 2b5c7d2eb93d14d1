import os
import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Make sure a superuser exists. Uses DJANGO_SUPERUSER_USERNAME / DJANGO_SUPERUSER_PASSWORD when "
        "set; otherwise creates 'admin' with a generated password, printed once. Never changes an "
        "existing user."
    )

    def handle(self, *args, **options):
        User = get_user_model()
        username = os.environ.get("DJANGO_SUPERUSER_USERNAME") or "admin"
        if User.objects.filter(username=username).exists():
            self.stdout.write(f"Superuser '{username}' already exists; its password is unchanged.")
            return
        password = os.environ.get("DJANGO_SUPERUSER_PASSWORD") or secrets.token_urlsafe(12)
        User.objects.create_superuser(username=username, password=password, email="")
        if os.environ.get("DJANGO_SUPERUSER_PASSWORD"):
            self.stdout.write(self.style.SUCCESS(f"Created superuser '{username}' with the given password."))
        else:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Created superuser '{username}' with password: {password}\n"
                    "  (shown only this once; change it in the admin)"
                )
            )
