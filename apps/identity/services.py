"""Write use cases of the identity context. One transaction each."""

from __future__ import annotations

from django.db import transaction

from apps.identity.models import User, UserManager


@transaction.atomic
def platform_admin_ensure(*, email: str, password: str) -> tuple[User, bool]:
    """Make sure a platform admin with this email exists and logs in with `password` (demo set-up)."""
    email = UserManager.normalize(email)
    user = User.objects.select_for_update().filter(email=email).first()
    if user is not None:
        if not user.check_password(password):
            user.set_password(password)
            user.save(update_fields=["password", "updated_at"])
        return user, False
    return User.objects.create_superuser(email, password, display_name="Platform admin"), True
