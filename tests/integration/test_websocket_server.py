"""Websockets against a real ASGI server (uvicorn, as deployed): what clients and the server's log see."""

import json
import time

import pytest
import requests
from rest_framework_simplejwt.tokens import AccessToken
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

from logitrack.realtime import CLOSE_FORBIDDEN, CLOSE_UNAUTHENTICATED
from logitrack.testing.processes import Processes

pytestmark = [pytest.mark.processes, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def server(tmp_path):
    procs = Processes(tmp_path)
    try:
        base = procs.web()
        yield procs, base.replace("http://", "ws://", 1)
    finally:
        procs.stop_all()


def closed_with(url: str, **kwargs) -> tuple[int, str | None]:
    """(close code, subprotocol) of a socket the server accepts and then closes before sending anything."""
    with connect(url, open_timeout=10, close_timeout=5, **kwargs) as ws:
        subprotocol = ws.subprotocol
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=10)
    assert closed.value.rcvd is not None, "closed without a close frame"
    return closed.value.rcvd.code, subprotocol


def test_refusals_reach_clients_as_close_codes(server, dispatch_world):
    _, ws = server
    world = dispatch_world
    feed = f"{ws}/ws/dispatch/fleets/{world.fleet_id}/"
    other_fleet = AccessToken.for_user(world.fleets.b.users["dispatcher"])
    assert closed_with(feed) == (CLOSE_UNAUTHENTICATED, None)
    assert closed_with(f"{ws}/ws/driver/") == (CLOSE_UNAUTHENTICATED, None)
    assert closed_with(f"{feed}?token=forged") == (CLOSE_UNAUTHENTICATED, None)
    assert closed_with(feed, subprotocols=["bearer", "forged"]) == (CLOSE_UNAUTHENTICATED, "bearer")
    assert closed_with(f"{feed}?token={other_fleet}") == (CLOSE_FORBIDDEN, None)
    assert closed_with(feed, subprotocols=["bearer", str(other_fleet)]) == (CLOSE_FORBIDDEN, "bearer")
    dispatcher_as_driver = AccessToken.for_user(world.fleets.a.users["dispatcher"])
    assert closed_with(f"{ws}/ws/driver/?token={dispatcher_as_driver}") == (CLOSE_FORBIDDEN, None)
    # the fleet's own dispatcher is let in
    own = AccessToken.for_user(world.fleets.a.users["dispatcher"])
    with connect(feed, subprotocols=["bearer", str(own)], open_timeout=10) as socket:
        assert json.loads(socket.recv(timeout=10))["type"] == "snapshot"


@pytest.mark.parametrize("path", ["/ws/nowhere/", "/ws/dispatch/fleets/", "/api/v1/trips/trips/"])
def test_an_unknown_websocket_path_is_answered_404(server, path):
    _, ws = server
    with pytest.raises(InvalidStatus) as refused:
        connect(f"{ws}{path}", open_timeout=10)
    response = refused.value.response
    assert response.status_code == 404
    assert response.headers["Content-Type"] == "application/problem+json"
    assert json.loads(response.body)["code"] == "not_found"


def test_the_server_log_never_shows_a_query_string_token(server, dispatch_world):
    procs, ws = server
    world = dispatch_world
    driver = str(AccessToken.for_user(world.crews[0].user))
    dispatcher = str(AccessToken.for_user(world.fleets.a.users["dispatcher"]))
    with connect(f"{ws}/ws/driver/?token={driver}&fleet_id={world.fleet_id}", open_timeout=10) as socket:
        assert json.loads(socket.recv(timeout=10))["type"] == "hello"
    assert closed_with(f"{ws}/ws/driver/?fleet_id={world.fleet_id}&token={dispatcher}")[0] == CLOSE_FORBIDDEN
    with pytest.raises(InvalidStatus):
        connect(f"{ws}/ws/nowhere/?token={driver}", open_timeout=10)
    base = ws.replace("ws://", "http://", 1)
    assert requests.get(f"{base}/healthz?token={driver}", timeout=10).status_code == 200
    time.sleep(0.5)  # the server writes its log lines as the connections close
    log = procs.log("web")
    assert "WebSocket /ws/driver/?token=[redacted]&fleet_id=" in log  # the handshakes were logged
    assert "/healthz?token=[redacted]" in log  # and the HTTP access line
    for token in (driver, dispatcher):
        assert token not in log
        assert token.split(".")[2] not in log  # not even the signature
