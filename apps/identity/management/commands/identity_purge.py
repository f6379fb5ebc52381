from django.core.management.base import BaseCommand

from apps.identity import services


class Command(BaseCommand):
    help = (
        "Delete expired refresh tokens, password resets, stale invitations, expired sessions and failed logins "
        "that no longer count "
        "(hourly in beat as identity.purge)."
    )

    def handle(self, *args, **options):
        deleted = services.identity_purge()
        self.stdout.write("deleted " + ", ".join(f"{count} {what}" for what, count in deleted.items()))
