"""Identity's account events turned into the mails that carry their links (services.accounts). Thin."""

from __future__ import annotations

from apps.identity.events import InvitationCreatedV1, PasswordResetRequestedV1
from apps.notifications.services.accounts import AccountMail, account_mail_send
from logitrack.bus import subscriber


@subscriber(PasswordResetRequestedV1, name="notifications.mail_password_link")
def mail_password_link(event: PasswordResetRequestedV1) -> None:
    account_mail_send(
        mail=AccountMail(
            event_id=event.event_id,
            event_type=event.TYPE,
            kind="account.welcome" if event.welcome else "account.password_reset",
            link_kind="password_reset",
            link_id=str(event.reset_id),
            fleet_id=event.fleet_id,
        )
    )


@subscriber(InvitationCreatedV1, name="notifications.mail_invitation")
def mail_invitation(event: InvitationCreatedV1) -> None:
    account_mail_send(
        mail=AccountMail(
            event_id=event.event_id,
            event_type=event.TYPE,
            kind="account.invitation",
            link_kind="invitation",
            link_id=str(event.invitation_id),
            fleet_id=event.fleet_id,
        )
    )
