"""Integrators' API keys for operators: create (the secret is printed once), list, revoke."""

import uuid

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from apps.identity import selectors
from apps.identity.contracts import API_KEY_PREFIX, ApiScope
from apps.identity.models import ApiKey, ServiceAccount
from apps.identity.services import api_keys
from logitrack.exceptions import ApplicationError


def _state(key: ApiKey, now) -> str:
    if key.revoked_at or key.service_account.revoked_at:
        return "revoked"
    if key.expires_at <= now:
        return "rotated out" if key.rotated_at else "expired"
    return "rotating" if key.rotated_at else "active"


class Command(BaseCommand):
    help = "Service accounts and API keys of integrators: create a key (printed once), list them, revoke one."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="a key for a fleet's integration (the integration is made if new)")
        create.add_argument("--fleet", type=uuid.UUID, required=True, help="the fleet's id")
        create.add_argument("--name", required=True, help='the integration, e.g. "Shopify connector"')
        create.add_argument(
            "--scopes", required=True, help=f"comma-separated, of: {', '.join(s.value for s in ApiScope)}"
        )
        create.add_argument("--days", type=int, help="lifetime in days (default API_KEY_DEFAULT_DAYS)")
        listing = sub.add_parser("list", help="integrations and their keys (never a secret)")
        listing.add_argument("--fleet", type=uuid.UUID)
        revoke = sub.add_parser("revoke", help="stop a key, or an integration and all its keys, at once")
        which = revoke.add_mutually_exclusive_group(required=True)
        which.add_argument("--key", help="the key's start as listed (lt_<prefix>), or the whole key")
        which.add_argument("--account", type=uuid.UUID, help="a service account's id")

    def handle(self, *args, action, **options):
        try:
            getattr(self, f"_{action}")(**options)
        except ApplicationError as exc:
            raise CommandError(f"{exc.code}: {exc.message}") from None

    def _create(self, *, fleet, name, scopes, days, **_):
        op = api_keys.OPERATOR
        account = ServiceAccount.objects.filter(fleet_id=fleet, name__iexact=name.strip(), revoked_at__isnull=True)
        found = account.first() or api_keys.service_account_create(principal=op, fleet_id=fleet, name=name)
        expires = timezone.now() + timezone.timedelta(days=days) if days else None
        issued = api_keys.api_key_create(
            principal=op,
            service_account_id=found.id,
            scopes=[s.strip() for s in scopes.split(",") if s.strip()],
            expires_at=expires,
        )
        self.stderr.write(f"key for {found.name} ({', '.join(issued.scopes)}), expires {issued.expires_at:%Y-%m-%d}")
        self.stderr.write("shown this once; store it now:")
        self.stdout.write(issued.secret)

    def _list(self, *, fleet, **_):
        accounts = selectors.service_accounts_visible(principal=api_keys.OPERATOR)
        if fleet:
            accounts = accounts.filter(fleet_id=fleet)
        names = selectors.fleet_names(fleet_ids={a.fleet_id for a in accounts})
        keys = ApiKey.objects.filter(service_account__in=accounts).select_related("service_account")
        now = timezone.now()
        for key in keys.order_by("service_account__name", "-created_at"):
            account = key.service_account
            used = f"{key.last_used_at:%Y-%m-%d %H:%M}" if key.last_used_at else "never"
            self.stdout.write(
                f"{API_KEY_PREFIX}{key.prefix}  {names[account.fleet_id]} / {account.name}  {_state(key, now)}  "
                f"expires {key.expires_at:%Y-%m-%d %H:%M} UTC  last used {used}  [{', '.join(key.scopes)}]"
            )

    def _revoke(self, *, key, account, **_):
        op = api_keys.OPERATOR
        if account:
            api_keys.service_account_revoke(principal=op, service_account_id=account)
            self.stdout.write(f"revoked service account {account} and its keys")
            return
        prefix = key.removeprefix(API_KEY_PREFIX).split("_", 1)[0]
        found = ApiKey.objects.filter(prefix=prefix).first()
        if found is None:
            raise CommandError("no key starts so")
        api_keys.api_key_revoke(principal=op, service_account_id=found.service_account_id, key_id=found.id)
        self.stdout.write(f"revoked {API_KEY_PREFIX}{prefix}")
