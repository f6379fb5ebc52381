"""Idempotency-Key with Stripe semantics, through a real endpoint that writes and publishes."""

import datetime as dt
import threading

import pytest
from django.db import connections
from django.utils import timezone
from rest_framework.test import APIClient

from logitrack.idempotency.models import IdempotencyKey
from logitrack.outbox.models import OutboxMessage
from tests.support.ping.models import Ping

pytestmark = pytest.mark.urls("tests.support.ping.views")
URL = "/api/v1/ping/pings/"


def post(client, body, key=None):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return client.post(URL, body, format="json", **headers)


@pytest.mark.django_db
def test_same_key_and_body_replays_the_first_response_without_a_second_effect(user_client):
    client, _ = user_client()
    first = post(client, {"label": "a"}, key="k-1")
    again = post(client, {"label": "a"}, key="k-1")

    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert again["Location"] == first["Location"]
    assert Ping.objects.count() == 1
    assert OutboxMessage.objects.count() == 1


@pytest.mark.django_db
def test_same_key_with_a_different_body_is_422_and_changes_nothing(user_client):
    client, _ = user_client()
    post(client, {"label": "a"}, key="k-2")
    response = post(client, {"label": "b"}, key="k-2")

    assert response.status_code == 422
    assert response.json()["code"] == "idempotency.key_reused"
    assert list(Ping.objects.values_list("label", flat=True)) == ["a"]


@pytest.mark.django_db
def test_keys_are_scoped_per_user(user_client):
    alice, _ = user_client()
    bob, _ = user_client()
    a = post(alice, {"label": "same"}, key="shared-key")
    b = post(bob, {"label": "same"}, key="shared-key")

    assert a.status_code == b.status_code == 201
    assert a.json()["id"] != b.json()["id"]
    assert "Idempotent-Replayed" not in b
    assert Ping.objects.count() == 2


@pytest.mark.django_db
def test_validation_failure_stores_nothing_so_the_key_can_be_retried(user_client):
    client, _ = user_client()
    bad = post(client, {"label": ""}, key="k-3")
    assert bad.status_code == 400
    assert not IdempotencyKey.objects.filter(key="k-3").exists()

    good = post(client, {"label": ""}, key="k-3")  # same body still fails the same way, not 409/422
    assert good.status_code == 400
    fixed = post(client, {"label": "ok"}, key="k-4")
    assert fixed.status_code == 201


@pytest.mark.django_db
def test_an_error_after_writing_rolls_the_writes_back_and_releases_the_key(user_client):
    client, _ = user_client()
    response = post(client, {"label": "x", "conflict": True}, key="k-5")

    assert response.status_code == 409
    assert response.json()["code"] == "ping.refused"
    assert Ping.objects.count() == 0  # the write and its event rolled back with the error
    assert OutboxMessage.objects.count() == 0
    assert not IdempotencyKey.objects.filter(key="k-5").exists()


@pytest.mark.django_db
def test_unauthenticated_calls_are_rejected_before_the_key_is_looked_at(api_client):
    response = post(api_client, {"label": "a"}, key="k-6")
    assert response.status_code == 401
    assert IdempotencyKey.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize("key", ["", "x" * 256, "has space", "naïve"])
def test_malformed_keys_are_400(user_client, key):
    client, _ = user_client()
    response = client.post(URL, {"label": "a"}, format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert response.status_code == 400
    assert response.json()["code"] == "idempotency.bad_key"
    assert Ping.objects.count() == 0


@pytest.mark.django_db
def test_a_multipart_upload_with_a_key_replays_and_a_different_file_is_a_different_request(make_user):
    """request.data of a multipart body holds the uploaded files too; they are fingerprinted by name and size."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from rest_framework.parsers import MultiPartParser
    from rest_framework.response import Response
    from rest_framework.test import APIRequestFactory, force_authenticate
    from rest_framework.views import APIView

    from logitrack.idempotency.drf import idempotent

    calls = []

    class UploadView(APIView):
        parser_classes = [MultiPartParser]

        @idempotent
        def post(self, request):
            calls.append(request.data["note"])
            return Response({"size": request.FILES["file"].size}, status=201)

    user = make_user()

    def upload(content: bytes):
        body = {"note": "proof", "file": SimpleUploadedFile("proof.png", content, content_type="image/png")}
        request = APIRequestFactory().post("/upload/", body, format="multipart", HTTP_IDEMPOTENCY_KEY="k-upload")
        force_authenticate(request, user=user)
        return UploadView.as_view()(request)

    first, again, other = upload(b"png bytes"), upload(b"png bytes"), upload(b"other png bytes")
    assert (first.status_code, again.status_code) == (201, 201)
    assert again["Idempotent-Replayed"] == "true"
    assert other.status_code == 422
    assert calls == ["proof"]


@pytest.mark.django_db
def test_a_key_past_the_retention_window_is_a_new_request(user_client, settings):
    client, _ = user_client()
    post(client, {"label": "a"}, key="k-7")
    IdempotencyKey.objects.filter(key="k-7").update(
        created_at=timezone.now() - dt.timedelta(hours=settings.IDEMPOTENCY_RETENTION_HOURS + 1)
    )
    again = post(client, {"label": "a"}, key="k-7")
    assert again.status_code == 201
    assert "Idempotent-Replayed" not in again
    assert Ping.objects.count() == 2


@pytest.mark.django_db
def test_purge_deletes_only_expired_keys(user_client, settings):
    from django.core.management import call_command

    client, _ = user_client()
    post(client, {"label": "old"}, key="old")
    post(client, {"label": "new"}, key="new")
    IdempotencyKey.objects.filter(key="old").update(created_at=timezone.now() - dt.timedelta(days=2))
    call_command("idempotency_purge")
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["new"]


@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_with_one_key_apply_once_and_the_loser_gets_409(make_user):
    user = make_user()
    results: dict[str, object] = {}

    def send(name):
        client = APIClient()
        client.force_authenticate(user=user)
        try:
            results[name] = post(client, {"label": "race", "delay": 0.6}, key="race-key")
        finally:
            connections.close_all()  # the thread's connection to every context's database

    slow = threading.Thread(target=send, args=("first",))
    slow.start()
    deadline = timezone.now() + dt.timedelta(seconds=5)
    while not IdempotencyKey.objects.filter(key="race-key").exists() and timezone.now() < deadline:
        threading.Event().wait(0.01)
    send("second")  # arrives while the first still holds the key
    slow.join()

    assert results["first"].status_code == 201
    assert results["second"].status_code == 409
    assert results["second"].json()["code"] == "idempotency.in_flight"
    assert Ping.objects.count() == 1

    client = APIClient()
    client.force_authenticate(user=user)
    replay = post(client, {"label": "race", "delay": 0.6}, key="race-key")
    assert replay.status_code == 201 and replay["Idempotent-Replayed"] == "true"
    assert Ping.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_claim_abandoned_by_a_dead_request_is_taken_over(make_user, settings):
    user = make_user()
    client = APIClient()
    client.force_authenticate(user=user)
    stale = timezone.now() - dt.timedelta(seconds=settings.IDEMPOTENCY_LOCK_SECONDS + 1)
    from logitrack.idempotency import services

    services.idempotency_claim(
        scope=str(user.pk),
        key="dead",
        method="POST",
        path=URL,
        fingerprint=services.fingerprint(method="POST", path=URL, body={"label": "d"}),
    )
    IdempotencyKey.objects.filter(key="dead").update(locked_at=stale)

    response = post(client, {"label": "d"}, key="dead")
    assert response.status_code == 201
    assert Ping.objects.count() == 1
    assert IdempotencyKey.objects.get(key="dead").state == "completed"
