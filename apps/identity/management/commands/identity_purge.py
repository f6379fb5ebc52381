from django.core.management.base import BaseCommand

from apps.identity.services import purge


class Command(BaseCommand):
    help = (
        "Delete expired refresh tokens, password resets, stale invitations, expired sessions and failed logins "
        "that no longer count "
        "(hourly in beat as identity.purge)."
    )

    def handle(self, *args, **options):
        deleted = purge.identity_purge()
        self.stdout.write("deleted " + ", ".join(f"{count} {what}" for what, count in deleted.items()))
