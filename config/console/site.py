"""The admin site: stock Django admin, opening on the manager's overview instead of the list of models (which stays
at the foot of the overview, "All pages", and in the sidebar of every other page)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, URLResolver, path, reverse

from config.console import report_views, views
from logitrack.admin import managed_fleets


class ConsoleSite(admin.AdminSite):
    site_header = "LogiTrack"
    site_title = "LogiTrack"
    index_title = "Overview"

    def get_urls(self) -> list[URLResolver | URLPattern]:
        return [
            path("overview/", self.admin_view(self.overview), name="overview"),
            path("reports/", self.admin_view(self.reports), name="reports"),
            *super().get_urls(),
        ]

    def index(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> TemplateResponse:
        return self.overview(request)

    def overview(self, request: HttpRequest) -> TemplateResponse:
        return views.overview(self, request)

    def reports(self, request: HttpRequest) -> HttpResponse:
        return report_views.page(self, request)

    def get_app_list(self, request: HttpRequest, app_label: str | None = None) -> list[dict[str, Any]]:
        """The stock list with "Reports" first for whoever has a fleet to report on (the overview's "All pages" and
        every page's sidebar show it)."""
        apps = super().get_app_list(request, app_label)
        if app_label is None and managed_fleets(request) != frozenset():  # a platform admin (None) or a manager
            url = reverse("admin:reports", current_app=self.name)
            entry = {
                "name": "Reports",
                "object_name": "Report",
                "admin_url": url,
                "view_only": True,
                "perms": {"view": True},
            }
            apps.insert(
                0,
                {
                    "name": "Reports",
                    "app_label": "reports",
                    "app_url": url,
                    "has_module_perms": True,
                    "models": [entry],
                },
            )
        return apps
