from django.apps import AppConfig


class IdentityConfig(AppConfig):
    name = "apps.identity"
    label = "identity"
    verbose_name = "Identity and access"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Subscriptions to other contexts' events register on import.
        from apps.identity import checks, handlers, signing  # noqa: F401

        signing.install()  # every simplejwt token is signed with identity's key set, none with SECRET_KEY
