"""The Content-Security-Policy every response carries (django-csp), and templates that need nothing inline.
Browsers enforce it in tests/browser (every browser test fails on a violation)."""

import re
from pathlib import Path

import pytest
from django.conf import settings

from logitrack.http.csp import tiles_source, websocket_sources

pytestmark = pytest.mark.django_db

STRICT = {
    "default-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
    "font-src": "'self'",
}


def directives(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {name: values for name, *values in (part.split() for part in header.split(";") if part.strip())}


@pytest.mark.parametrize(
    "path", ["/login/", "/admin/login/", "/api/docs/", "/api/schema/", "/healthz", "/api/v1/identity/me/", "/nowhere"]
)
def test_every_response_carries_the_strict_policy(client, path):
    policy = directives(client.get(path))
    for name, value in STRICT.items():
        assert policy[name] == [value], (name, policy[name])
    for kind in ("script-src", "style-src"):
        assert policy[kind][0] == "'self'" and all(v == "'self'" or v.startswith("'nonce-") for v in policy[kind])
    assert policy["img-src"] == ["'self'", "data:", "blob:"]
    assert policy["connect-src"][0] == "'self'" and "wss://localhost:*" in policy["connect-src"]


def test_the_api_docs_run_their_inline_code_under_the_responses_nonce(client):
    response = client.get("/api/docs/")
    nonce = re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"]).group(1)
    html = response.content.decode()
    inline = re.findall(r"<(script|style)(?![^>]*\ssrc=)([^>]*)>", html)
    assert len(inline) == 2  # Swagger UI's setup script and its page style
    assert all(f'nonce="{nonce}"' in attributes for _, attributes in inline)
    assert client.get("/api/docs/")["Content-Security-Policy"] != response["Content-Security-Policy"]  # per response


# a script without src or nonce, a style element without nonce, an on* handler, a style attribute
INLINE = (r"<script(?![^>]*\ssrc=)(?![^>]*nonce=)", r"<style(?![^>]*nonce=)", r"\son[a-z]+=", r"\sstyle=")


def _our_templates():
    roots = [Path(settings.BASE_DIR) / d for d in ("apps", "config")] + [
        Path(settings.BASE_DIR) / "logitrack" / "templates"
    ]
    return [p for root in roots for p in root.rglob("templates/**/*.html")] + list(
        (Path(settings.BASE_DIR) / "logitrack" / "templates").rglob("*.html")
    )


def test_our_pages_have_no_inline_script_style_or_handlers():
    """Inline code in our templates would need 'unsafe-inline': it lives in static files. The invoice and report
    PDF templates are rendered to PDF, never served; the HTML of emails is mailed, never served (mail clients
    ignore stylesheets, so its styles are inline); the drf-spectacular overrides carry the nonce."""
    offenders = []
    for path in set(_our_templates()):
        if path.match("billing/invoice.html") or path.match("console/report_pdf.html"):
            continue
        if path.match("notifications/email/*.html"):  # mailed, never served; and never a script
            assert not re.search(r"<script|\son[a-z]+=|javascript:", path.read_text(), re.IGNORECASE), path
            continue
        text = path.read_text()
        for pattern in (
            r"<script(?![^>]*\ssrc=)(?![^>]*nonce=)",
            r"<style(?![^>]*nonce=)",
            r"\son[a-z]+=",
            r"\sstyle=",
        ):
            if re.search(pattern, text):
                offenders.append(f"{path.relative_to(settings.BASE_DIR)}: {pattern}")
        if re.search(r"javascript:", text):
            offenders.append(f"{path.relative_to(settings.BASE_DIR)}: javascript: URL")
    assert not offenders, offenders
    assert any(p.match("dispatch/screen.html") for p in _our_templates())


@pytest.mark.parametrize(
    ("url", "source"),
    [
        ("", None),
        ("https://{s}.tile.example.org/{z}/{x}/{y}.png", "https://*.tile.example.org"),
        ("https://tiles.example.com:8443/styles/{z}/{x}/{y}@2x.png?key=abc", "https://tiles.example.com:8443"),
        ("http://127.0.0.1:8080/{z}/{x}/{y}.png", "http://127.0.0.1:8080"),
    ],
)
def test_the_map_tiles_host_is_an_image_source(url, source):
    assert tiles_source(url) == source


@pytest.mark.parametrize("url", ["ftp://tiles.example.org/{z}.png", "tiles.example.org/{z}.png", "https://a.{s}.org/"])
def test_a_tiles_url_that_is_no_source_is_refused(url):
    with pytest.raises(ValueError, match="MAP_TILES_URL"):
        tiles_source(url)


def test_map_tiles_url_reaches_the_policy():
    """Settings read MAP_TILES_URL at start-up: a fresh interpreter with it set sends its host in img-src."""
    import json
    import subprocess
    import sys

    code = (
        "import json, django; django.setup(); from django.conf import settings; "
        "print(json.dumps(settings.CONTENT_SECURITY_POLICY['DIRECTIVES']['img-src']))"
    )
    env = {**__import__("os").environ, "MAP_TILES_URL": "https://{s}.tile.example.org/{z}/{x}/{y}.png"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True, timeout=60)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == ["'self'", "data:", "blob:", "https://*.tile.example.org"]


def test_websocket_sources_follow_the_allowed_hosts():
    assert websocket_sources(["app.example.com", ".example.org", "*", "[::1]"]) == [
        "ws://app.example.com:*",
        "wss://app.example.com:*",
        "ws://*.example.org:*",
        "wss://*.example.org:*",
    ]
