"""The manager's console: the admin site every context's ModelAdmins register on, opening on the overview.

Two app configs, because the admin's own config must keep the name "django.contrib.admin":
- `ConsoleAdminConfig` replaces "django.contrib.admin" in INSTALLED_APPS: the same admin, with our site as its
  default, so every `@admin.register` and `admin.site` land on `ConsoleSite` unchanged;
- `ConsoleConfig` ("config.console", listed before it) brings this folder's templates (admin/base_site.html, the
  overview) and static files.
"""

from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class ConsoleConfig(AppConfig):
    name = "config.console"
    label = "console"
    verbose_name = "Console"
    default = True


class ConsoleAdminConfig(admin_apps.AdminConfig):
    default = False  # chosen by its dotted path in INSTALLED_APPS, never as this module's default
    default_site = "config.console.site.ConsoleSite"

    def ready(self) -> None:
        super().ready()  # every app's admin module registers its ModelAdmins
        from django.contrib import admin

        from logitrack import hosting

        # a context run by other processes has no pages here: its tables are not in this process's databases
        for model in list(admin.site._registry):
            if not hosting.hosted(model._meta.app_label):
                admin.site.unregister(model)
