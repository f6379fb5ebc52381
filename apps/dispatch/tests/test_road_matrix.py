"""Road-network matrices: the OSRM and Valhalla providers against a fake table server, a real HTTP server on
127.0.0.1 in this process that answers like OSRM's `table` and Valhalla's `sources_to_targets` (and refuses tables
bigger than its limit, as OSRM's --max-table-size does), or fails on purpose."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote

import pytest

from apps.dispatch import matrix

# Berlin: Invalidenstraße, Oranienstraße, Alexanderplatz, Tempelhof, Charlottenburg
POINTS = [(52.5310, 13.3847), (52.5016, 13.4190), (52.5219, 13.4132), (52.4730, 13.4039), (52.5163, 13.3040)]


def road(a, b):
    """The fake network: Manhattan metres on a 111 km grid, driven at 8 m/s (not the estimate's figures)."""
    metres = (abs(a[0] - b[0]) + abs(a[1] - b[1])) * 111_000 + 0.4
    return metres, metres / 8


class FakeTableServer:
    def __init__(self, max_table: int = 100) -> None:
        self.requests: list[tuple[str, str, bytes]] = []  # method, raw path with query, body
        self.failures: list[str] = []  # what the next requests do instead of answering: "500", "hang", ...
        self.unreachable: set[tuple[int, int]] = set()  # (source, destination) pairs answered null
        self.max_table = max_table
        self.release = threading.Event()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def reply(self, status: int, body: bytes | dict) -> None:
                raw = json.dumps(body).encode() if isinstance(body, dict) else body
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def do_GET(self) -> None:
                fake.requests.append(("GET", self.path, b""))
                if fake.fail(self):
                    return
                path, _, query = self.path.partition("?")
                _, table, version, _profile, coordinates = path.split("/", 4)
                assert (table, version) == ("table", "v1")
                located = [tuple(float(x) for x in c.split(",")) for c in unquote(coordinates).split(";")]
                points = [(lat, lon) for lon, lat in located]
                options = dict(part.split("=", 1) for part in query.split("&"))
                sources = [int(k) for k in options["sources"].split(";")] if "sources" in options else None
                targets = [int(k) for k in options["destinations"].split(";")] if "destinations" in options else None
                sources = sources if sources is not None else list(range(len(points)))
                targets = targets if targets is not None else list(range(len(points)))
                if len(sources) * len(targets) > fake.max_table**2:
                    self.reply(400, {"code": "TooBig", "message": "Too many table coordinates"})
                    return
                figures = [[road(points[s], points[t]) for t in targets] for s in sources]

                def table(k: int) -> list[list[float | None]]:
                    return [
                        [fake.cell(s, t, figures[i][j][k]) for j, t in enumerate(targets)]
                        for i, s in enumerate(sources)
                    ]

                self.reply(200, {"code": "Ok", "durations": table(1), "distances": table(0)})

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                fake.requests.append(("POST", self.path, body))
                if fake.fail(self):
                    return
                asked = json.loads(body)
                sources = [(p["lat"], p["lon"]) for p in asked["sources"]]
                targets = [(p["lat"], p["lon"]) for p in asked["targets"]]
                table = [
                    [
                        {"from_index": i, "to_index": j, "distance": road(s, t)[0] / 1000, "time": round(road(s, t)[1])}
                        for j, t in enumerate(targets)
                    ]
                    for i, s in enumerate(sources)
                ]
                self.reply(200, {"sources_to_targets": table, "units": "kilometers"})

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def cell(self, s: int, t: int, value: float) -> float | None:
        return None if (s, t) in self.unreachable else value

    def fail(self, handler) -> bool:
        if not self.failures:
            return False
        kind = self.failures.pop(0)
        if kind == "hang":
            self.release.wait(10)
            return True
        bodies = {
            "500": (500, b"Internal Server Error"),
            "garbage": (200, b"<html>not a table</html>"),
            "no_segment": (400, {"code": "NoSegment", "message": "Could not find a matching segment"}),
            "not_ok": (200, {"code": "NoTable"}),
            "short": (200, {"code": "Ok", "durations": [[0]], "distances": [[0]]}),
            "negative": (200, {"code": "Ok", "durations": [[0, -5], [5, 0]], "distances": [[0, 1], [1, 0]]}),
        }
        handler.reply(*bodies[kind])
        return True

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def stop(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def table_server(settings):
    server = FakeTableServer()
    settings.DISPATCH_ROAD_SERVER_URL = server.url
    settings.DISPATCH_ROAD_TIMEOUT_SECONDS = 0.5
    settings.DISPATCH_ROAD_RETRY_SECONDS = 60
    matrix._down_until.clear()
    yield server
    matrix._down_until.clear()
    server.stop()


def expected(points):
    n = len(points)
    distance = [[0 if i == j else round(road(points[i], points[j])[0]) for j in range(n)] for i in range(n)]
    duration = [[0 if i == j else round(road(points[i], points[j])[1]) for j in range(n)] for i in range(n)]
    return matrix.Matrix(distance, duration)


def test_osrm_is_asked_for_one_table_in_lon_lat_order_and_its_answer_is_the_matrix(table_server, settings):
    settings.DISPATCH_MATRIX_PROVIDER = "apps.dispatch.matrix.OsrmProvider"
    got = matrix.provider().matrix(POINTS[:3], vehicle_type="van")
    assert got == expected(POINTS[:3])
    assert table_server.requests == [
        (
            "GET",
            "/table/v1/driving/13.384700,52.531000;13.419000,52.501600;13.413200,52.521900"
            "?annotations=duration,distance",
            b"",
        )
    ]
    matrix.OsrmProvider().matrix(POINTS[:2], vehicle_type="bike")
    assert table_server.requests[-1][1].startswith("/table/v1/cycling/13.384700,52.531000;")
    settings.DISPATCH_ROAD_PROFILES = {"van": "van-network"}
    matrix.OsrmProvider().matrix(POINTS[:2], vehicle_type="van")
    assert table_server.requests[-1][1].startswith("/table/v1/van-network/")


def test_a_big_matrix_is_asked_for_in_blocks_the_server_accepts(table_server, settings):
    table_server.max_table = 2
    assert matrix.OsrmProvider().matrix(POINTS).duration_s != expected(POINTS).duration_s  # one table: TooBig
    assert len(table_server.requests) == 1
    matrix._down_until.clear()
    settings.DISPATCH_ROAD_MAX_LOCATIONS = 2
    table_server.requests.clear()
    assert matrix.OsrmProvider().matrix(POINTS) == expected(POINTS)
    assert len(table_server.requests) == 9  # 3 × 3 blocks of at most 2 × 2
    paths = [path for _, path, _ in table_server.requests]
    assert paths[1] == (  # rows 0-1 to columns 2-3: both sets of coordinates, sources then destinations
        "/table/v1/driving/13.384700,52.531000;13.419000,52.501600;13.413200,52.521900;13.403900,52.473000"
        "?annotations=duration,distance&sources=0;1&destinations=2;3"
    )
    assert paths[8] == "/table/v1/driving/13.304000,52.516300?annotations=duration,distance"


@pytest.mark.parametrize("failure", ["500", "hang", "garbage", "no_segment", "not_ok", "short", "negative"])
def test_a_failing_server_gives_the_estimate_and_is_left_alone_for_a_while(table_server, settings, failure):
    points = POINTS[:2]
    estimate = matrix.GreatCircleProvider().matrix(points, vehicle_type="van")
    table_server.failures = [failure]
    started = time.monotonic()
    assert matrix.OsrmProvider().matrix(points, vehicle_type="van") == estimate
    assert time.monotonic() - started < 2  # a hang costs the read timeout (0.5 s), not more
    assert matrix.OsrmProvider().matrix(points, vehicle_type="van") == estimate
    assert len(table_server.requests) == 1  # the second call did not ask the server that just failed
    settings.DISPATCH_ROAD_RETRY_SECONDS = 0
    matrix._down_until.clear()
    assert matrix.OsrmProvider().matrix(points, vehicle_type="van") == expected(points)  # it is back


def test_unreachable_pairs_get_the_estimate_and_an_unset_server_is_never_asked(table_server, settings):
    table_server.unreachable = {(0, 1)}
    estimate = matrix.GreatCircleProvider().matrix(POINTS[:3])
    got = matrix.OsrmProvider().matrix(POINTS[:3])
    road_matrix = expected(POINTS[:3])
    assert got.duration_s[0][1] == estimate.duration_s[0][1] and got.distance_m[0][1] == estimate.distance_m[0][1]
    assert got.duration_s[1][0] == road_matrix.duration_s[1][0]
    settings.DISPATCH_ROAD_SERVER_URL = ""
    table_server.requests.clear()
    assert matrix.OsrmProvider().matrix(POINTS[:3]) == estimate and table_server.requests == []


def test_valhalla_is_asked_for_sources_to_targets_and_kilometres_become_metres(table_server, settings):
    settings.DISPATCH_ROAD_MAX_LOCATIONS = 3
    got = matrix.ValhallaProvider().matrix(POINTS[:4], vehicle_type="truck")
    road_matrix = expected(POINTS[:4])
    assert got.duration_s == road_matrix.duration_s
    assert all(
        abs(a - b) <= 1
        for ra, rb in zip(got.distance_m, road_matrix.distance_m, strict=True)
        for a, b in zip(ra, rb, strict=True)
    )
    assert [(method, path) for method, path, _ in table_server.requests] == [("POST", "/sources_to_targets")] * 4
    first = json.loads(table_server.requests[0][2])
    assert first == {
        "sources": [{"lat": lat, "lon": lon} for lat, lon in POINTS[:3]],
        "targets": [{"lat": lat, "lon": lon} for lat, lon in POINTS[:3]],
        "costing": "truck",
        "units": "kilometers",
    }
    assert json.loads(table_server.requests[1][2])["targets"] == [{"lat": POINTS[3][0], "lon": POINTS[3][1]}]
    table_server.failures = ["garbage"]
    assert matrix.ValhallaProvider().matrix(POINTS[:2]) == matrix.GreatCircleProvider().matrix(POINTS[:2])
