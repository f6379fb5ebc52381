"""The trips and shifts lists take their query parameters from FilterSets: documented in the schema, and a bad or
empty value is a 400 problem naming the parameter with the messages these lists always gave."""

import pytest

pytestmark = pytest.mark.django_db
TRIP_STATUSES = "assigned, at_pickup, cancelled, completed, en_route, failed, in_progress, requested"


@pytest.mark.parametrize(
    ("url", "query", "errors"),
    [
        ("trips", "status=bogus", {"status": [f"must be one of {TRIP_STATUSES}"]}),
        ("trips", "status=", {"status": [f"must be one of {TRIP_STATUSES}"]}),
        ("trips", "fleet_id=nope", {"fleet_id": ["Must be a valid UUID."]}),
        ("trips", "fleet_id=", {"fleet_id": ["Must be a valid UUID."]}),
        ("shifts", "status=bogus", {"status": ["must be one of cancelled, ended, planned, started"]}),
        ("shifts", "fleet_id=nope", {"fleet_id": ["Must be a valid UUID."]}),
    ],
)
def test_a_bad_list_parameter_is_a_400_naming_it(two_fleets, url, query, errors):
    response = two_fleets.a.client("dispatcher").get(f"/api/v1/trips/{url}/?{query}")
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "validation_failed"
    assert body["errors"] == errors


def test_the_filters_narrow_the_lists(two_fleets):
    dispatcher = two_fleets.a.client("dispatcher")
    for url in ("trips", "shifts"):
        assert (
            dispatcher.get(f"/api/v1/trips/{url}/?status=cancelled&fleet_id={two_fleets.a.fleet_id}").json()["results"]
            == []
        )


def test_the_schema_documents_the_list_parameters(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    for path in ("/api/v1/trips/trips/", "/api/v1/trips/shifts/"):
        params = {p["name"]: p for p in schema["paths"][path]["get"]["parameters"]}
        assert params["fleet_id"]["schema"]["format"] == "uuid"
        assert "cancelled" in params["status"]["schema"]["enum"]
