import uuid

from django.core.management.base import BaseCommand, CommandError

from apps.identity.models import User
from apps.identity.services import erasure


class Command(BaseCommand):
    help = "Erase a user's personal data (GDPR). Irreversible: the account becomes an anonymous, disabled id."

    def add_arguments(self, parser):
        who = parser.add_mutually_exclusive_group(required=True)
        who.add_argument("--email")
        who.add_argument("--user-id", type=uuid.UUID)
        parser.add_argument("--yes", action="store_true", help="do not ask for confirmation")

    def handle(self, *args, email, user_id, yes, **options):
        user = User.objects.filter(email__iexact=email).first() if email else User.objects.filter(id=user_id).first()
        if user is None:
            raise CommandError("no such user")
        if user.erased_at is not None:
            self.stdout.write(f"user {user.id} was already erased on {user.erased_at:%Y-%m-%d}")
            return
        if not yes and input(f"Erase {user.email} ({user.id})? Type 'erase' to confirm: ").strip() != "erase":
            raise CommandError("not confirmed; nothing changed")
        erasure.user_erase(user_id=user.id)
        self.stdout.write(f"erased user {user.id}")
