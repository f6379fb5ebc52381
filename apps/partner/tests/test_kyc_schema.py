"""A third-party client learns from the OpenAPI schema alone which fields each KYC document type needs, and the
endpoint holds uploads to exactly that."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from apps.partner.models import KycDocument
from apps.partner.tests.factories import PDF

pytestmark = pytest.mark.django_db
ME = "/api/v1/partner/me/"
# what each type needs, as the product states it (apps/partner/README.md), written out here, not read from the code
REQUIRED = {
    "driving_licence": {"type", "file", "number", "classes", "issued_on", "expires_on"},
    "identity_document": {"type", "file", "document_type", "number", "expires_on"},
    "background_check": {"type", "file", "provider", "reference", "checked_on"},
}
OPTIONAL = {"driving_licence": set(), "identity_document": set(), "background_check": {"expires_on"}}


def _resolve(schema, node):
    while "$ref" in node or len(node.get("allOf", ())) == 1:
        node = node["allOf"][0] if "allOf" in node else node
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[-1]] if "$ref" in node else node
    return node


def _types_in(description: str, word: str) -> set[str]:
    """The types a field's description says it is `word` ("required", "optional") for."""
    for part in description.split(". ")[0].split("; "):
        if part.startswith(f"{word} for "):
            return set(part.removeprefix(f"{word} for ").split(", "))
    return set()


def test_the_schema_says_which_fields_each_document_type_requires(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    upload = schema["paths"][f"{ME}documents/"]["post"]["requestBody"]["content"]["multipart/form-data"]["schema"]
    body = _resolve(schema, upload)
    assert set(body["required"]) == {"type", "file"} and body["properties"]["file"]["format"] == "binary"
    assert set(_resolve(schema, body["properties"]["type"])["enum"]) == set(REQUIRED)
    fields = set(body["properties"]) - {"type", "file"}
    assert fields == set().union(*REQUIRED.values(), *OPTIONAL.values()) - {"type", "file"}
    for name in fields:  # each field says for which types it is required, optional, or neither (refused)
        description = body["properties"][name]["description"]
        assert _types_in(description, "required") == {t for t, needs in REQUIRED.items() if name in needs}, name
        assert _types_in(description, "optional") == {t for t, may in OPTIONAL.items() if name in may}, name

    # the same, as data a client can build its form from
    listing = schema["paths"]["/api/v1/partner/document-types/"]["get"]
    assert "200" in listing["responses"]
    answer = client.get("/api/v1/partner/document-types/")  # public, like the schema
    assert answer.status_code == 200
    types = {t["type"]: t for t in answer.json()["results"]}
    assert {t: set(v["required"]) | {"type", "file"} for t, v in types.items()} == REQUIRED
    assert {t: set(v["optional"]) for t, v in types.items()} == OPTIONAL


def post(client, **fields):
    return client.post(f"{ME}documents/", {"file": SimpleUploadedFile("d.pdf", PDF), **fields}, format="multipart")


def test_each_document_type_is_held_to_its_own_fields(two_fleets, drivers):
    client = two_fleets.a.client("driver")
    later = (timezone.localdate() + dt.timedelta(days=400)).isoformat()

    no_provider = post(client, type="background_check", reference="FZ-1", checked_on="2026-11-01")
    assert no_provider.status_code == 400 and set(no_provider.json()["errors"]) == {"provider"}
    no_expiry = post(client, type="driving_licence", number="B072", classes="B", issued_on="2015-04-01")
    assert no_expiry.status_code == 400 and set(no_expiry.json()["errors"]) == {"expires_on"}
    foreign = post(
        client, type="identity_document", document_type="passport", number="C01", expires_on=later, provider="x"
    )
    assert foreign.status_code == 400 and foreign.json()["errors"] == {"provider": ["Unknown field."]}
    untyped = post(client, number="C01")
    assert untyped.status_code == 400 and set(untyped.json()["errors"]) == {"type"}
    unknown_type = post(client, type="tax_return")
    assert unknown_type.status_code == 400 and set(unknown_type.json()["errors"]) == {"type"}
    assert KycDocument.objects.count() == 0

    check = post(client, type="background_check", provider="BfJ", reference="FZ-1", checked_on="2026-11-01")
    assert check.status_code == 201, check.json()  # a background check needs no expiry date
    licence = post(
        client, type="driving_licence", number="B072", classes="B,C1", issued_on="2015-04-01", expires_on=later
    )
    assert licence.status_code == 201, licence.json()
