import secrets

from django.conf import settings
from django.core.management.base import BaseCommand

from apps.identity.services import accounts

EMAIL = "admin@logitrack.local"


class Command(BaseCommand):
    help = "Create the demo platform admin (once) and print its login. Its password is kept in var/demo-admin.txt."

    def handle(self, *args, **options):
        secret_file = settings.VAR_DIR / "demo-admin.txt"
        if secret_file.exists():
            password = secret_file.read_text().strip()
        else:
            password = secrets.token_urlsafe(12)
            secret_file.parent.mkdir(parents=True, exist_ok=True)
            secret_file.write_text(password + "\n")
            secret_file.chmod(0o600)
        _, created = accounts.platform_admin_ensure(email=EMAIL, password=password)
        state = "created" if created else "exists"
        self.stdout.write(f"demo admin ({state}): {EMAIL} / {password}  (log in at /admin/)")
