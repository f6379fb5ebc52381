"""The platform's internal API for billing run as its own service: fleet's, partner's and identity's published calls
at /internal/<context>/<call>/ (one kernel view, logitrack/http/internal.py, as billing's own). Each takes its
context's service credential only, answers what the in-process api answers, raises contract errors with their
codes, and meets bad input with a problem (400/401/403/404), never a 5xx; calls a context does not publish (its
writes) are not served."""

from __future__ import annotations

import json
import uuid

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from apps.fleet import api as fleet_inprocess
from apps.fleet.contracts import REMOTE as FLEET
from apps.fleet.tests.factories import active_fleet
from apps.identity import api as identity_inprocess
from apps.identity.contracts import REMOTE as IDENTITY
from apps.identity.models import Membership
from apps.partner import api as partner_inprocess
from apps.partner.contracts import REMOTE as PARTNER
from apps.partner.tests.factories import DriverProfileFactory
from logitrack import wire

TOKEN = "svc-" + uuid.uuid4().hex
SERVICES = ("fleet", "partner", "identity")
INTERFACES = {"fleet": FLEET, "partner": PARTNER, "identity": IDENTITY}
APIS = {"fleet": fleet_inprocess, "partner": partner_inprocess, "identity": identity_inprocess}

pytestmark = pytest.mark.django_db


@pytest.fixture
def served(settings):
    for service in SERVICES:
        setattr(settings, f"{service.upper()}_SERVICE_TOKENS", ["old-" + TOKEN, TOKEN])


def internal(client, service: str, call: str, body, token: str | None = TOKEN, **extra):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token is not None else {}
    data = body if isinstance(body, str) else json.dumps(body)
    return client.post(f"/internal/{service}/{call}/", data, content_type="application/json", **headers, **extra)


def problem(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, (response.status_code, response.content[:300])
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status and body["code"] and body["detail"]
    if code is not None:
        assert body["code"] == code, body
    return body


@pytest.fixture
def world(two_fleets):
    fleet = active_fleet(fleet_id=two_fleets.a.fleet_id, legal_name="Alpha Logistik GmbH", country="DE")
    driver_user = two_fleets.a.users["driver"]
    driver = DriverProfileFactory(user_id=driver_user.id, fleet_id=fleet.id, display_name="Dana Driver")
    return two_fleets, fleet, driver


def test_each_context_answers_what_its_api_answers_in_process(client, served, world):
    fleets, fleet, driver = world
    customer = fleets.customer
    asked = [
        (fleet_inprocess, "fleet", "fleet_get", {"fleet_id": fleet.id}),
        (fleet_inprocess, "fleet", "fleet_names", {"fleet_ids": [fleet.id, uuid.uuid4()]}),
        (fleet_inprocess, "fleet", "fleet_names", {}),  # the default: every fleet
        (fleet_inprocess, "fleet", "fleet_localities", {"fleet_ids": [fleet.id]}),
        (partner_inprocess, "partner", "driver_for_user", {"user_id": driver.user_id, "fleet_id": None}),
        (partner_inprocess, "partner", "drivers_get", {"driver_ids": [driver.id, uuid.uuid4()]}),
        (identity_inprocess, "identity", "user_contact_get", {"user_id": customer.id}),
        (identity_inprocess, "identity", "users_get", {"user_ids": [customer.id, driver.user_id]}),
    ]
    for api, service, call, kwargs in asked:
        answered = internal(client, service, call, wire.encode(kwargs))
        assert answered.status_code == 200, (call, answered.content[:300])
        result = wire.decode(answered.json()["result"], INTERFACES[service].calls[call].returns)
        assert result == getattr(api, call)(**kwargs), call
    assert internal(client, "fleet", "fleet_get", {"fleet_id": str(fleet.id)}, token="old-" + TOKEN).status_code == 200


def test_contract_errors_come_back_with_their_codes(client, served, world):
    fleets, fleet, driver = world
    problem(internal(client, "fleet", "fleet_get", {"fleet_id": str(uuid.uuid4())}), 404, "fleet.not_found")
    problem(
        internal(client, "identity", "user_contact_get", {"user_id": str(uuid.uuid4())}), 404, "identity.user_not_found"
    )
    unknown = {"user_id": str(uuid.uuid4()), "fleet_id": None}
    problem(internal(client, "partner", "driver_for_user", unknown), 404, "partner.driver_not_found")
    DriverProfileFactory(user_id=driver.user_id, fleet_id=fleets.b.fleet_id)  # the driver drives for two fleets now
    both = problem(
        internal(client, "partner", "driver_for_user", {"user_id": str(driver.user_id), "fleet_id": None}),
        400,
        "partner.fleet_required",
    )
    assert sorted(both["fleets"]) == sorted([str(fleet.id), str(fleets.b.fleet_id)])  # the error's extra travels too


@pytest.mark.parametrize("service", SERVICES)
def test_only_the_contexts_own_credential_opens_it(client, settings, service):
    call, body = next(iter(INTERFACES[service].calls)), {}
    setattr(settings, f"{service.upper()}_SERVICE_TOKENS", [])  # the single-process default: no internal API
    problem(internal(client, service, call, body), 404)

    setattr(settings, f"{service.upper()}_SERVICE_TOKENS", [TOKEN])
    problem(internal(client, service, call, body, token=None), 401, f"{service}.internal.unauthenticated")
    problem(internal(client, service, call, body, token=TOKEN + "x"), 403, f"{service}.internal.forbidden")
    problem(internal(client, service, call, body, token=None, HTTP_AUTHORIZATION="Basic " + TOKEN), 401)
    settings.BILLING_SERVICE_TOKENS = ["billing-" + TOKEN]
    problem(internal(client, service, call, body, token="billing-" + TOKEN), 403, f"{service}.internal.forbidden")

    # a process that calls this context remotely itself does not hold its data: it serves nothing of it
    setattr(settings, f"{service.upper()}_API_MODE", "remote")
    problem(internal(client, service, call, body), 404)


@pytest.mark.parametrize(
    ("service", "call", "body", "errors"),
    [
        ("fleet", "fleet_get", {"fleet_id": "nope", "extra": 1}, {"fleet_id", "extra"}),
        ("fleet", "fleet_get", {}, {"fleet_id"}),
        ("fleet", "fleet_get", {"fleet_id": None}, {"fleet_id"}),
        ("fleet", "fleet_names", {"fleet_ids": [str(uuid.uuid4()), 7]}, {"fleet_ids.1"}),
        ("fleet", "fleet_localities", {"fleet_ids": {"a": 1}}, {"fleet_ids"}),
        ("partner", "driver_for_user", {"user_id": str(uuid.uuid4())}, {"fleet_id"}),
        ("partner", "driver_for_user", {"user_id": True, "fleet_id": "x"}, {"user_id", "fleet_id"}),
        ("partner", "drivers_get", {"driver_ids": "not a list"}, {"driver_ids"}),
        ("identity", "user_contact_get", {"user_id": ["a"]}, {"user_id"}),
        ("identity", "users_get", {"user_ids": [None]}, {"user_ids.0"}),
    ],
)
def test_arguments_that_do_not_fit_are_named(client, served, service, call, body, errors):
    found = problem(internal(client, service, call, body), 400, f"{service}.internal.invalid")
    assert set(found["errors"]) == errors


@pytest.mark.parametrize("service", SERVICES)
def test_bodies_that_are_no_arguments_are_refused(client, served, service):
    call = next(iter(INTERFACES[service].calls))
    problem(internal(client, service, call, [1]), 400, f"{service}.internal.invalid")
    problem(internal(client, service, call, "{not json"), 400)
    problem(internal(client, service, call, '{"a": NaN}'), 400)
    problem(internal(client, service, call, "null"), 400)
    problem(internal(client, service, "nothing_like_this", {}), 404, "internal.call_not_found")


def test_what_a_context_does_not_publish_is_not_served(client, served, world):
    fleets, fleet, _ = world
    # identity's writes and other reads exist in its api but are no one's to call over HTTP
    grant = {"user_id": str(fleets.customer.id), "fleet_id": str(fleet.id), "role": "fleet_manager"}
    problem(internal(client, "identity", "membership_grant", grant), 404, "internal.call_not_found")
    problem(internal(client, "identity", "principal_get", {"user_id": str(fleets.customer.id)}), 404)
    problem(internal(client, "fleet", "vehicles_get", {"vehicle_ids": []}), 404, "internal.call_not_found")
    problem(internal(client, "partner", "driver_get", {"driver_id": str(uuid.uuid4())}), 404)
    assert not Membership.objects.filter(user_id=fleets.customer.id).exists()
    for service in ("trips", "dispatch", "notifications", "nothing"):  # contexts that serve no interface
        problem(internal(client, service, "anything", {}), 404)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20) | st.uuids().map(str),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
CALLS = [(service, call) for service in SERVICES for call in INTERFACES[service].calls]


@pytest.mark.parametrize(("service", "call"), CALLS)
def test_no_input_makes_an_internal_call_fail_with_a_5xx(client, served, service, call):
    """Arguments of the right names with any JSON values (valid ids among them), extra ones, or no object at all:
    an answer or a problem, never a server error."""
    names = list(wire.signature_hints(getattr(APIS[service], call)))

    @hypothesis_settings(
        max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture], database=None
    )
    @given(
        st.one_of(
            st.fixed_dictionaries({}, optional={name: JSON for name in names}),
            st.dictionaries(st.text(max_size=8), JSON, max_size=3),
            JSON,
        )
    )
    def check(body):
        response = internal(client, service, call, body)
        assert response.status_code < 500, (body, response.status_code)
        if response.status_code != 200:
            problem(response, response.status_code)

    check()
