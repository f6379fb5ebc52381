"""A service run apart from the platform (here billing's REST API in its own process, LOGITRACK_AUTH=jwks) takes the
platform's access tokens with nothing but the public keys it fetches from the platform's JWKS: another SECRET_KEY,
no signing key of the platform's, the caller's roles read from the token."""

import base64
import json
import uuid

import jwt
import pytest
import requests
from django.conf import settings

from apps.identity.contracts import FleetRole
from apps.identity.tests.factories import PASSWORD, CustomerFactory, MembershipFactory, UserFactory
from logitrack.testing.processes import Processes

pytestmark = [pytest.mark.processes, pytest.mark.django_db(transaction=True)]


def login(base: str, email: str) -> dict:
    response = requests.post(f"{base}/api/v1/auth/token/", json={"email": email, "password": PASSWORD}, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


def with_claims(token: str, **changes) -> str:
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    body = base64.urlsafe_b64encode(json.dumps({**claims, **changes}).encode()).rstrip(b"=").decode()
    return f"{header}.{body}.{signature}"


@pytest.mark.usefixtures("clean_login_guard")
def test_billing_as_its_own_service_verifies_the_platforms_tokens_by_its_jwks(live_server, tmp_path):
    manager, customer = UserFactory(), CustomerFactory()
    MembershipFactory(user=manager, fleet_id=uuid.uuid4(), role=FleetRole.FLEET_MANAGER)
    service = Processes(
        tmp_path,
        env={
            "DJANGO_SECRET_KEY": "billing-service-" + uuid.uuid4().hex,  # not the platform's
            "LOGITRACK_AUTH": "jwks",
            "JWT_JWKS_URL": f"{live_server.url}/.well-known/jwks.json",
        },
    )
    try:
        billing = service.web("billing")
        tariffs = f"{billing}/api/v1/billing/tariffs/"
        managers = login(live_server.url, manager.email)["access"]

        def get(token: str) -> requests.Response:
            return requests.get(tariffs, headers={"Authorization": f"Bearer {token}"}, timeout=10)

        ok = get(managers)
        assert ok.status_code == 200, ok.text
        assert ok.json()["results"] == []
        assert get(login(live_server.url, customer.email)["access"]).status_code == 403  # roles from the token

        kid = jwt.get_unverified_header(managers)["kid"]
        claims = jwt.decode(managers, options={"verify_signature": False})
        for token in (
            with_claims(managers, sub=str(customer.id)),  # tampered
            jwt.encode(claims, settings.SECRET_KEY, algorithm="HS256", headers={"kid": kid}),  # the old way
            login(live_server.url, manager.email)["refresh"],
        ):
            refused = get(token)
            assert refused.status_code == 401, refused.text
            assert refused.headers["Content-Type"] == "application/problem+json"
            assert refused.json()["code"] == "auth.token_invalid"
        # identity's API keys and sessions live in its tables: the service takes access tokens only
        assert requests.get(tariffs, headers={"X-Api-Key": "lt_0123456789ab_x"}, timeout=10).status_code == 401
    finally:
        service.stop_all()
