"""Helpers for data migrations that give admin groups their permissions (no one edits groups by hand)."""

from django.apps.registry import Apps
from django.contrib.auth.management import create_permissions


def _ensure_permissions(apps: Apps) -> None:
    # Django creates permissions after migrate; a data migration that assigns them needs them now.
    for config in apps.get_app_configs():
        was = getattr(
            config, "models_module", None
        )  # unset in a migration's state; the real module when called with django.apps
        config.models_module = True  # type: ignore[assignment]  # what create_permissions checks
        try:
            create_permissions(config, apps=apps, verbosity=0)
        finally:
            config.models_module = was  # left None, the real registry skips the app's content types from then on


def grant_group_permissions(apps: Apps, group_name: str, permissions: list[tuple[str, str]]) -> None:
    _ensure_permissions(apps)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=group_name)
    for app_label, codename in permissions:
        group.permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))


def revoke_group_permissions(apps: Apps, group_name: str, permissions: list[tuple[str, str]]) -> None:
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group = Group.objects.filter(name=group_name).first()
    if group is not None:
        for app_label, codename in permissions:
            group.permissions.remove(*Permission.objects.filter(content_type__app_label=app_label, codename=codename))
