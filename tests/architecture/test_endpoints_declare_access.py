"""Deny by default, and say so: every REST endpoint of every context names who may call it."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.views import APIView

from tests.architecture.rules import CONTEXTS


def _views(patterns, prefix=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from _views(p.url_patterns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern), getattr(p.callback, "cls", None)


def undeclared(views):
    """DRF views of the contexts that inherit permission_classes instead of declaring them."""
    found = []
    for route, cls in views:
        if cls is None or not issubclass(cls, APIView) or cls.__module__.split(".")[:2][-1] not in CONTEXTS:
            continue
        if not any("permission_classes" in vars(k) for k in cls.__mro__ if k.__module__.startswith("apps.")):
            found.append(f"{route} ({cls.__module__}.{cls.__qualname__})")
    return found


def test_every_context_endpoint_declares_its_permissions():
    views = list(_views(get_resolver().url_patterns))
    assert any(cls is not None and cls.__module__.startswith("apps.") for _, cls in views)
    offenders = undeclared(views)
    assert not offenders, "declare permission_classes on:\n" + "\n".join(offenders)


def test_the_rule_catches_a_view_relying_on_the_default():
    class Forgetful(APIView):
        pass

    Forgetful.__module__ = "apps.trips.rest_api.v1.views"
    found = undeclared([("api/v1/trips/x/", Forgetful)])
    assert len(found) == 1 and found[0].startswith("api/v1/trips/x/ (apps.trips.rest_api.v1.views.")


@pytest.mark.django_db
def test_general_api_throttle_answers_429_with_retry_after(user_client, monkeypatch):
    from django.core.cache import cache
    from rest_framework.throttling import UserRateThrottle

    monkeypatch.setitem(UserRateThrottle.THROTTLE_RATES, "user", "2/min")
    client, user = user_client()
    key = f"throttle_user_{user.pk}"
    cache.delete(key)
    statuses = [client.get("/api/v1/identity/me/") for _ in range(3)]
    cache.delete(key)
    assert [r.status_code for r in statuses] == [200, 200, 429]
    assert statuses[-1].json()["code"] == "throttled" and int(statuses[-1]["Retry-After"]) > 0


def test_every_endpoint_parses_json_with_the_depth_limit():
    """DRF's own JSONParser lets deeply nested JSON through to a RecursionError (500): views use the kernel's."""
    from rest_framework.parsers import JSONParser

    from logitrack.http.parsers import JSONParser as LimitedJSONParser

    views = [(route, cls) for route, cls in _views(get_resolver().url_patterns) if cls and issubclass(cls, APIView)]
    assert len(views) > 80
    offenders = [
        route
        for route, cls in views
        if any(issubclass(p, JSONParser) and not issubclass(p, LimitedJSONParser) for p in cls.parser_classes)
    ]
    assert not offenders, "parse JSON with logitrack.http.parsers.JSONParser on:\n" + "\n".join(offenders)


def test_every_documented_download_can_be_asked_for_by_its_media_type():
    """A file operation documented in the schema (`file_download`) has a renderer for each of its media types
    (`logitrack.http.downloads.renderers`): without one, `Accept: application/pdf` answered 406."""
    from drf_spectacular.generators import SchemaGenerator

    generator = SchemaGenerator()
    schema = generator.get_schema(request=None, public=True)
    downloads, missing = [], []
    for path, _, method, view in generator._get_paths_and_endpoints():
        operation = schema["paths"].get(path, {}).get(method.lower(), {})
        documented = [t for t in operation.get("responses", {}).get("200", {}).get("content", {}) if "json" not in t]
        if not documented:
            continue
        downloads.append(path)
        served = {renderer.media_type for renderer in view.get_renderers()}
        missing += [f"{method} {path}: {t}" for t in documented if t not in served]
        assert "406" in operation["responses"], f"{method} {path} does not document its 406"
    assert len(downloads) >= 5
    assert not missing, "declare renderer_classes = downloads.renderers(...) for:\n" + "\n".join(missing)


def test_key_scopes_name_catalogued_scopes_of_methods_the_view_answers():
    """`key_scopes` is how an API key reaches a view (apps/identity/rest_api/authentication.py): a typo would deny
    integrators silently, a scope for a method the view lacks documents nothing. Some views must declare them."""
    from apps.identity.contracts import ApiScope

    declared, offenders = 0, []
    for route, cls in _views(get_resolver().url_patterns):
        scopes = getattr(cls, "key_scopes", None) if cls is not None else None
        if not scopes:
            continue
        declared += 1
        for method, scope in scopes.items():
            if scope not in set(ApiScope):
                offenders.append(f"{route}: {method} names {scope!r}, not in apps.identity.contracts.ApiScope")
            if method != "*" and not hasattr(cls, method.lower()):
                offenders.append(f"{route}: {cls.__qualname__} has no {method.lower()}() for its key scope")
    assert declared >= 10
    assert not offenders, "\n".join(offenders)


def test_api_keys_authenticate_first_on_every_view_that_takes_jwts():
    """A key presented as a Bearer must meet the key authenticator (and its scope check) before the JWT one, which
    would answer 401 for it; a view with its own authentication list must not take JWTs without keys' check."""
    from rest_framework_simplejwt.authentication import JWTAuthentication

    from apps.identity.rest_api.authentication import ApiKeyAuthentication

    offenders = []
    for route, cls in _views(get_resolver().url_patterns):
        if cls is None or not issubclass(cls, APIView):
            continue
        classes = list(cls.authentication_classes)
        jwt = [i for i, c in enumerate(classes) if issubclass(c, JWTAuthentication)]  # simplejwt's or identity's
        if jwt and (ApiKeyAuthentication not in classes or classes.index(ApiKeyAuthentication) > jwt[0]):
            offenders.append(route)
    assert not offenders, "put ApiKeyAuthentication before JWTAuthentication on:\n" + "\n".join(offenders)
