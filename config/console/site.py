"""The admin site: stock Django admin, opening on the manager's overview instead of the list of models (which stays
at the foot of the overview, "All pages", and in the sidebar of every other page)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import URLPattern, URLResolver, path

from config.console import views


class ConsoleSite(admin.AdminSite):
    site_header = "LogiTrack"
    site_title = "LogiTrack"
    index_title = "Overview"

    def get_urls(self) -> list[URLResolver | URLPattern]:
        return [path("overview/", self.admin_view(self.overview), name="overview"), *super().get_urls()]

    def index(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> TemplateResponse:
        return self.overview(request)

    def overview(self, request: HttpRequest) -> TemplateResponse:
        return views.overview(self, request)
