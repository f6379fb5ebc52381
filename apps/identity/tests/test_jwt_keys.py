"""JWTs signed with an asymmetric key named by `kid`, verified with nothing but the public JWKS fetched over HTTP;
key rotation; tokens signed with SECRET_KEY (HS256) or tampered with are refused."""

from __future__ import annotations

import base64
import json
import time
import uuid

import jwt
import pytest
import requests
from django.conf import settings
from django.test import override_settings
from rest_framework.test import APIClient, APIRequestFactory
from rest_framework.views import APIView
from rest_framework_simplejwt.tokens import AccessToken

from apps.identity import principals, signing, tokens
from apps.identity.contracts import FleetRole
from apps.identity.tests.factories import PASSWORD, CustomerFactory, MembershipFactory, UserFactory
from logitrack import jwks
from logitrack.http import remote_auth
from logitrack.http.principal import HasRole
from logitrack.principal import Principal, Role
from logitrack.testing.processes import free_port

JWKS_PATH = "/.well-known/jwks.json"


def verify(token: str, client: jwks.JWKSClient | jwks.KeySet, **kwargs) -> dict:
    key_for = client.key if isinstance(client, jwks.JWKSClient) else client.get
    return jwks.verify(token, key_for, audience=settings.JWT_AUDIENCE, issuer=settings.JWT_ISSUER, **kwargs)


def me(access: str):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client.get("/api/v1/identity/me/")


def forged(token: str, **changes) -> str:
    """The token with its claims changed and its signature kept."""
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    body = base64.urlsafe_b64encode(json.dumps({**claims, **changes}).encode()).rstrip(b"=").decode()
    return f"{header}.{body}.{signature}"


def hs256(token: str, *, kid: str | None) -> str:
    """The same claims signed as the platform signed them before: HS256 under SECRET_KEY."""
    claims = jwt.decode(token, options={"verify_signature": False})
    return jwt.encode(claims, settings.SECRET_KEY, algorithm="HS256", headers={"kid": kid} if kid else None)


def assert_refused(response, code: str = "authentication_failed") -> None:
    assert response.status_code == 401, response.content
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == code


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("clean_login_guard")
def test_a_login_over_http_gives_tokens_with_a_kid_that_verify_with_only_the_published_keys(live_server):
    manager = UserFactory(email="mona@example.test")
    fleet_id = uuid.uuid4()
    MembershipFactory(user=manager, fleet_id=fleet_id, role=FleetRole.FLEET_MANAGER)

    login = requests.post(
        f"{live_server.url}/api/v1/auth/token/", json={"email": manager.email, "password": PASSWORD}, timeout=10
    )
    assert login.status_code == 200, login.text
    pair = login.json()
    published = requests.get(f"{live_server.url}{JWKS_PATH}", timeout=10)

    assert published.status_code == 200
    assert published.headers["Cache-Control"] == f"public, max-age={settings.JWKS_MAX_AGE_SECONDS}"
    [jwk] = published.json()["keys"]
    assert set(jwk) == {"kty", "crv", "x", "kid", "alg", "use"}  # no private member ("d")
    assert jwk["kid"] == signing.key_set().signing.kid and jwk["alg"] == "EdDSA"
    asked = requests.get(f"{live_server.url}{JWKS_PATH}", headers={"Accept": "application/jwk-set+json"}, timeout=10)
    assert asked.headers["Content-Type"] == "application/jwk-set+json" and asked.json() == published.json()
    assert jwt.get_unverified_header(pair["access"]) == {"alg": "EdDSA", "kid": jwk["kid"], "typ": "JWT"}
    assert jwt.get_unverified_header(pair["refresh"])["kid"] == jwk["kid"]

    client = jwks.JWKSClient(f"{live_server.url}{JWKS_PATH}")
    claims = verify(pair["access"], client)
    assert claims["sub"] == str(manager.id) and claims["iss"] == "logitrack" and claims["aud"] == "logitrack"
    # the principal travels in the access token, as identity has it
    carried = Principal.from_claims(user_id=manager.id, claims=claims)
    assert carried == principals.resolve(user_id=manager.id).principal
    assert carried.fleets(Role.FLEET_MANAGER) == {fleet_id}
    assert client.fetches == 1  # once, then from its cache
    verify(pair["access"], client)
    assert client.fetches == 1
    # a refresh token is no access token, wherever it is checked
    with pytest.raises(jwks.TokenInvalid, match="not an access token"):
        verify(pair["refresh"], client)
    assert_refused(me(pair["refresh"]))


@pytest.mark.django_db(transaction=True)
def test_rotation_an_old_key_verifies_while_listed_and_fails_once_removed(live_server):
    user = UserFactory()
    old, new = jwks.Key.generate(), jwks.Key.generate()
    url = f"{live_server.url}{JWKS_PATH}"
    remote = jwks.JWKSClient(url, max_age=60, min_refetch=0)

    with override_settings(JWT_SIGNING_KEY=old.private_pem(), JWT_VERIFICATION_KEYS=""):
        by_old, kept = tokens.token_pair_issue(user=user), tokens.token_pair_issue(user=user)
        assert jwt.get_unverified_header(by_old.access)["kid"] == old.kid
        assert verify(by_old.access, remote)["sub"] == str(user.id)

    # step 1 and 2 of the runbook at once: the new key signs, the old one's public half is still accepted
    with override_settings(JWT_SIGNING_KEY=new.private_pem(), JWT_VERIFICATION_KEYS=old.public_pem()):
        by_new = tokens.token_pair_issue(user=user)
        assert jwt.get_unverified_header(by_new.access)["kid"] == new.kid
        assert [k["kid"] for k in requests.get(url, timeout=10).json()["keys"]] == [new.kid, old.kid]
        assert verify(by_new.access, remote)["sub"] == str(user.id)  # an unknown kid: fetched again at once
        assert remote.fetches == 2
        assert verify(by_old.access, remote)["sub"] == str(user.id)
        assert me(by_old.access).status_code == 200 and me(by_new.access).status_code == 200
        rotated = tokens.token_pair_rotate(raw_refresh=by_old.refresh)  # an old refresh token still rotates
        assert jwt.get_unverified_header(rotated.access)["kid"] == new.kid

    # step 3: the old key removed
    with override_settings(JWT_SIGNING_KEY=new.private_pem(), JWT_VERIFICATION_KEYS=""):
        assert_refused(me(by_old.access))  # the platform at once
        assert me(by_new.access).status_code == 200
        with pytest.raises(tokens.TokenRejected):  # nor does a refresh token it signed
            tokens.token_pair_rotate(raw_refresh=kept.refresh)
        assert [k["kid"] for k in requests.get(url, timeout=10).json()["keys"]] == [new.kid]
        fresh = jwks.JWKSClient(url)  # another service, or this one once its copy is JWT_JWKS_MAX_AGE_SECONDS old
        with pytest.raises(jwks.TokenInvalid) as refused:
            verify(by_old.access, fresh)
        assert refused.value.code == "auth.token_unknown_key"
        assert verify(by_new.access, fresh)["sub"] == str(user.id)
        remote.max_age = 0.2
        time.sleep(0.3)
        with pytest.raises(jwks.TokenInvalid):
            verify(by_old.access, remote)


@pytest.mark.django_db
def test_tokens_signed_with_the_secret_key_or_tampered_with_are_refused_with_a_problem(api_client):
    user = CustomerFactory()
    pair = tokens.token_pair_issue(user=user)
    kid = jwt.get_unverified_header(pair.access)["kid"]
    keys = signing.key_set()
    assert me(pair.access).status_code == 200

    for token in (hs256(pair.access, kid=None), hs256(pair.access, kid=kid)):
        assert_refused(me(token))
        with pytest.raises(jwks.TokenInvalid):
            verify(token, keys)
    none_alg = jwt.encode(jwt.decode(pair.access, options={"verify_signature": False}), None, algorithm="none")
    assert_refused(me(none_alg))
    promoted = forged(pair.access, roles=["platform_admin"])
    assert_refused(me(promoted))
    assert_refused(me(forged(pair.access, sub=str(UserFactory().id))))
    with pytest.raises(jwks.TokenInvalid, match="invalid"):
        verify(promoted, keys)
    # the refresh endpoint and logout refuse them too
    for path in ("/api/v1/auth/token/refresh/", "/api/v1/auth/logout/"):
        for token in (hs256(pair.refresh, kid=kid), forged(pair.refresh, fam=str(uuid.uuid4()))):
            response = api_client.post(path, {"refresh": token}, format="json")
            assert response.status_code == 401 and response.json()["code"] == "auth.token_invalid"


class ManagersOnly(APIView):
    """A view of a service that verifies tokens with the JWKS alone."""

    authentication_classes = [remote_auth.JWKSAuthentication]
    permission_classes = [HasRole.of(Role.FLEET_MANAGER)]

    def get(self, request):
        from rest_framework.response import Response

        principal = request.user.logitrack_principal
        return Response({"user": str(request.user.pk), "fleets": sorted(map(str, principal.fleets()))})


@pytest.mark.django_db(transaction=True)
def test_the_jwks_authentication_takes_the_caller_and_roles_from_a_verified_token(live_server):
    manager, customer = UserFactory(), CustomerFactory()
    fleet_id = uuid.uuid4()
    MembershipFactory(user=manager, fleet_id=fleet_id, role=FleetRole.FLEET_MANAGER)
    view, factory = ManagersOnly.as_view(), APIRequestFactory()

    def call(token: str | None):
        headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
        response = view(factory.get("/probe/", **headers))
        response.render()
        return response

    managers = tokens.token_pair_issue(user=manager).access
    with override_settings(JWT_JWKS_URL=f"{live_server.url}{JWKS_PATH}"):
        ok = call(managers)
        assert ok.status_code == 200, ok.content
        assert json.loads(ok.content) == {"user": str(manager.id), "fleets": [str(fleet_id)]}
        assert call(tokens.token_pair_issue(user=customer).access).status_code == 403  # roles from the claims
        for token, code in (
            (forged(managers, fleets={"fleet_manager": [str(uuid.uuid4())]}), "auth.token_invalid"),
            (hs256(managers, kid=jwt.get_unverified_header(managers)["kid"]), "auth.token_invalid"),
            (str(AccessToken.for_user(manager)).replace(".", ".x", 1), "auth.token_invalid"),
            (tokens.token_pair_issue(user=manager).refresh, "auth.token_invalid"),
        ):
            refused = call(token)
            assert refused.status_code == 401, refused.content
            assert refused["Content-Type"] == "application/problem+json"
            assert json.loads(refused.content)["code"] == code
            assert refused["WWW-Authenticate"] == 'Bearer realm="api"'
        assert call(None).status_code == 401

    # identity unreachable and nothing cached: neither accepted nor refused as bad, but 503 with a clear code
    with override_settings(JWT_JWKS_URL=f"http://127.0.0.1:{free_port()}{JWKS_PATH}", JWT_JWKS_TIMEOUT_SECONDS=1):
        down = call(managers)
        assert down.status_code == 503
        assert json.loads(down.content)["code"] == "auth.keys_unavailable"


@pytest.mark.django_db(transaction=True)
def test_made_up_kids_do_not_make_every_request_fetch_the_key_set(live_server):
    user = UserFactory()
    real = str(AccessToken.for_user(user))
    stranger = jwks.Key.generate()  # signs like us, but was never published
    claims = jwt.decode(real, options={"verify_signature": False})
    remote = jwks.JWKSClient(f"{live_server.url}{JWKS_PATH}", max_age=60, min_refetch=60)

    assert verify(real, remote)["sub"] == str(user.id)
    for _ in range(5):
        with pytest.raises(jwks.TokenInvalid) as refused:
            verify(jwks.sign(claims, stranger), remote)
        assert refused.value.code == "auth.token_unknown_key"
    assert remote.fetches == 1


def test_the_command_generates_a_key_shows_its_public_half_and_lists_the_configured_set(tmp_path):
    from io import StringIO

    from django.core.management import CommandError, call_command

    out = tmp_path / "jwt.pem"
    err = StringIO()
    call_command("identity_jwt_keys", "generate", "--out", str(out), stderr=err)
    key = jwks.Key.from_pem(out.read_text())
    assert key.private is not None and key.alg == "EdDSA"
    assert out.stat().st_mode & 0o777 == 0o600
    assert f"kid {key.kid}" in err.getvalue() and key.public_pem() in err.getvalue()
    with pytest.raises(CommandError, match="exists"):
        call_command("identity_jwt_keys", "generate", "--out", str(out), stderr=StringIO())

    public = StringIO()
    call_command("identity_jwt_keys", "public", str(out), stdout=public, stderr=StringIO())
    assert jwks.Key.from_pem(public.getvalue()).kid == key.kid
    assert jwks.Key.from_pem(public.getvalue()).private is None

    one_line = StringIO()
    call_command("identity_jwt_keys", "generate", "--rsa", "--one-line", stdout=one_line, stderr=StringIO())
    rsa_key = jwks.Key.from_pem(one_line.getvalue().strip().replace("\\n", "\n"))
    assert rsa_key.alg == "RS256" and "\n" not in one_line.getvalue().strip()

    listed = StringIO()
    with override_settings(JWT_SIGNING_KEY=out.read_text(), JWT_VERIFICATION_KEYS=rsa_key.public_pem()):
        call_command("identity_jwt_keys", "list", stdout=listed)
        assert signing.jwks_document()["keys"][1] == rsa_key.jwk()
    assert f"signs     {key.kid}  EdDSA  (JWT_SIGNING_KEY)" in listed.getvalue()
    assert f"verifies  {rsa_key.kid}  RS256" in listed.getvalue()
    assert signing.uses_dev_key() and signing.key_set().signing.kid == signing.dev_key(settings.SECRET_KEY).kid


def test_an_rsa_key_signs_rs256_for_verifiers_without_eddsa():
    from apps.identity.models import User

    rsa_key = jwks.Key.from_pem(jwks.Key.of(_rsa_private()).private_pem())
    user = User(id=uuid.uuid4(), password="x")
    with override_settings(JWT_SIGNING_KEY=rsa_key.private_pem()):
        token = str(AccessToken.for_user(user))
        assert jwt.get_unverified_header(token) == {"alg": "RS256", "kid": rsa_key.kid, "typ": "JWT"}
        assert verify(token, signing.key_set())["sub"] == str(user.id)
        assert AccessToken(token)["sub"] == str(user.id)
    # a header naming another algorithm for the Ed25519 key is refused: a key verifies in its own algorithm only
    ed_token = str(AccessToken.for_user(user))
    header = json.loads(base64.urlsafe_b64decode(ed_token.split(".")[0] + "=="))
    relabelled = base64.urlsafe_b64encode(json.dumps({**header, "alg": "RS256"}).encode()).rstrip(b"=").decode()
    with pytest.raises(jwks.TokenInvalid):
        verify(".".join([relabelled, *ed_token.split(".")[1:]]), signing.key_set())


def _rsa_private():
    from cryptography.hazmat.primitives.asymmetric import rsa

    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.mark.django_db
def test_a_token_checked_once_is_not_checked_again_but_still_expires_and_a_tampered_copy_is_checked():
    import datetime as dt

    from rest_framework_simplejwt.exceptions import TokenError

    signing.verified.clear()
    token = AccessToken.for_user(UserFactory())
    token.set_exp(lifetime=dt.timedelta(seconds=1))
    raw = str(token)
    assert AccessToken(raw)["sub"] == token["sub"]
    assert signing.verified.get(raw, 0) is not None  # checked once, kept with its claims

    head, body, signature = raw.split(".")
    forged_claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    forged_claims["sub"] = str(uuid.uuid4())
    forged_body = base64.urlsafe_b64encode(json.dumps(forged_claims).encode()).rstrip(b"=").decode()
    with pytest.raises(TokenError):  # another string: checked, and its signature does not match
        AccessToken(f"{head}.{forged_body}.{signature}")

    time.sleep(1.1)
    with pytest.raises(TokenError):  # expired: the kept check does not outlive the token
        AccessToken(raw)
    assert signing.verified.get(raw, 0) is None
