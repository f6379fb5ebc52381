"""The group-permission helpers of data migrations leave the app registry they are given as they found it."""

import pytest
from django.apps import apps as django_apps
from django.contrib.auth.models import Group

from logitrack.db.migrations import grant_group_permissions

pytestmark = pytest.mark.django_db


def test_granting_with_the_real_registry_keeps_every_apps_models_module():
    before = {config.label: config.models_module for config in django_apps.get_app_configs()}
    grant_group_permissions(django_apps, "helpers test group", [("auth", "view_group")])
    after = {config.label: config.models_module for config in django_apps.get_app_configs()}
    assert after == before  # None here would make later flushes skip these apps' content types and permissions
    assert Group.objects.get(name="helpers test group").permissions.filter(codename="view_group").exists()
