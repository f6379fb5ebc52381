"""The query parameters of billing's lists (FilterSets in rest_api/v1/filters.py): the same names, values and 400
bodies as when the views checked them by hand, an empty value refused like any bad one, and all of them in the
OpenAPI schema."""

import pytest

from tests.support.isolation import client_for

PAYOUTS, TOPUPS, INVOICES = "/api/v1/billing/payouts/", "/api/v1/billing/topups/", "/api/v1/billing/invoices/"


def refused(response, errors: dict) -> None:
    assert response.status_code == 400, response.content[:400]
    assert response["Content-Type"].startswith("application/problem+json")
    assert response.json()["errors"] == errors


@pytest.mark.django_db
def test_bad_or_empty_values_are_400s_naming_the_parameter(two_fleets, make_user):
    customer = client_for(make_user(is_customer=True))
    manager = two_fleets.a.client("fleet_manager")
    topup_status = {"status": ["must be one of cancelled, confirmed, failed, pending"]}
    refused(customer.get(TOPUPS, {"status": "paid"}), topup_status)
    refused(customer.get(TOPUPS, {"status": ""}), topup_status)
    kind = {"kind": ["must be invoice, receipt or credit_note"]}
    refused(customer.get(INVOICES, {"kind": "bill"}), kind)
    refused(customer.get(INVOICES, {"kind": ""}), kind)
    refused(customer.get(INVOICES, {"trip_id": "nope"}), {"trip_id": ["Must be a valid UUID."]})
    refused(customer.get(INVOICES, {"trip_id": ""}), {"trip_id": ["Must be a valid UUID."]})
    payout_status = {"status": ["must be one of requested, approved, paid, rejected"]}
    refused(manager.get(PAYOUTS, {"status": "sent"}), payout_status)
    refused(manager.get(PAYOUTS, {"fleet_id": "nope"}), {"fleet_id": ["Must be a valid UUID."]})
    assert manager.get(PAYOUTS, {"status": "paid", "fleet_id": str(two_fleets.b.fleet_id)}).status_code == 200
    assert customer.get(TOPUPS, {"status": "pending"}).status_code == 200
    assert customer.get(INVOICES, {"kind": "receipt"}).status_code == 200


@pytest.mark.django_db
def test_the_schema_documents_every_list_parameter(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()

    def params(path):
        return {p["name"]: p["schema"] for p in schema["paths"][path]["get"]["parameters"] if p["in"] == "query"}

    payouts, topups, invoices = params(PAYOUTS), params(TOPUPS), params(INVOICES)
    assert payouts["status"]["enum"] == ["approved", "paid", "rejected", "requested"]
    assert payouts["fleet_id"]["format"] == "uuid"
    assert topups["status"]["enum"] == ["cancelled", "confirmed", "failed", "pending"]
    assert invoices["kind"]["enum"] == ["credit_note", "invoice", "receipt"]
    assert invoices["trip_id"]["format"] == "uuid"
    for grows_with_history in (payouts, topups, invoices):  # paged by cursor, never by page number
        assert {"cursor", "page_size", "count"} <= set(grows_with_history)
        assert "page" not in grows_with_history


@pytest.mark.django_db
def test_the_filtered_lists_still_answer_options_like_any_view(two_fleets):
    admin = client_for(two_fleets.platform_admin)
    for path in (PAYOUTS, TOPUPS, INVOICES):
        assert admin.options(path).status_code == 200, path
