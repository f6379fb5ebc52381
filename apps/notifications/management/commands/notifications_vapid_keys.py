from django.core.management.base import BaseCommand

from apps.notifications.channels.push import generate_vapid_keys


class Command(BaseCommand):
    help = (
        "Generate a VAPID key pair for Web Push and print the settings lines (environment variables). Keep the "
        "private key secret; changing it later makes every existing push subscription stop working (devices "
        "subscribe again with the new public key)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--subject", default="mailto:ops@example.com", help="mailto: or https: contact for push services"
        )

    def handle(self, *args, subject, **options):
        private, public = generate_vapid_keys()
        self.stdout.write(f"NOTIFICATIONS_VAPID_PRIVATE_KEY={private}")
        self.stdout.write(f"NOTIFICATIONS_VAPID_PUBLIC_KEY={public}")
        self.stdout.write(f"NOTIFICATIONS_VAPID_SUBJECT={subject}")
