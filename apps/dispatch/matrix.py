"""Travel distances and times between points: the matrix provider interface, the built-in estimate and road-network
providers.

Route optimisation, matching and ETAs ask a provider, never compute travel themselves, so a road network replaces
the built-in estimate by setting DISPATCH_MATRIX_PROVIDER:

- `GreatCircleProvider` (default): great-circle distance × ROAD_DETOUR_FACTOR at ROAD_SPEED_KMH per vehicle type;
- `OsrmProvider`: OSRM's table service, `GET {url}/table/v1/{profile}/{lon,lat;...}?annotations=duration,distance`;
- `ValhallaProvider`: Valhalla's matrix service, `POST {url}/sources_to_targets` with JSON sources and targets.

A road provider splits a matrix larger than DISPATCH_ROAD_MAX_LOCATIONS into blocks of at most that many sources by
that many destinations (servers refuse bigger tables: OSRM's `--max-table-size`, Valhalla's
`max_matrix_location_pairs`). When DISPATCH_ROAD_SERVER_URL is unset, or any block fails (unreachable, timeout, an
error status, an answer that is not a full matrix), the whole matrix is the built-in estimate, and the server is
left alone for DISPATCH_ROAD_RETRY_SECONDS in this process, so a board pass or a job never waits on a dead server
more than once. A pair the network cannot join (null) gets the estimate for that pair. Matrices are not cached:
the built-in provider does not cache either, and most calls start at a driver's latest position.
"""

from __future__ import annotations

import dataclasses
import math
import threading
import time
from collections.abc import Sequence
from typing import Any, Protocol

import requests
import structlog
from django.conf import settings
from django.utils.module_loading import import_string

from apps.dispatch.domain import haversine_m

log = structlog.get_logger(__name__)

Point = tuple[float, float]  # (lat, lng)


@dataclasses.dataclass(frozen=True)
class Matrix:
    distance_m: list[list[int]]
    duration_s: list[list[int]]


class MatrixProvider(Protocol):
    def matrix(self, points: Sequence[Point], *, vehicle_type: str = "default") -> Matrix: ...


class GreatCircleProvider:
    """Great-circle distance times a road-detour factor, at a speed per vehicle type (settings)."""

    def __init__(self, detour: float | None = None, speeds_kmh: dict[str, float] | None = None) -> None:
        self.detour = detour if detour is not None else settings.ROAD_DETOUR_FACTOR
        self.speeds_kmh = speeds_kmh or settings.ROAD_SPEED_KMH

    def speed_mps(self, vehicle_type: str) -> float:
        return self.speeds_kmh.get(vehicle_type, self.speeds_kmh["default"]) / 3.6

    def matrix(self, points: Sequence[Point], *, vehicle_type: str = "default") -> Matrix:
        speed = self.speed_mps(vehicle_type)
        distance = [[round(haversine_m(*a, *b) * self.detour) for b in points] for a in points]
        duration = [[round(d / speed) for d in row] for row in distance]
        return Matrix(distance, duration)


class RoadServerFailed(Exception):
    """The road server gave no usable table: the caller falls back to the estimate."""


Cells = list[list[float | None]]

# per process: the base URL of a road server that failed, and until when it is left alone
_down_until: dict[str, float] = {}
_down_lock = threading.Lock()


class _RoadProvider:
    """What OSRM and Valhalla share: blocks, timeouts, validation, the fallback and leaving a failed server alone.
    Subclasses say how one block is asked for (`_block`) and which profile a vehicle type uses."""

    name = "road"
    profiles: dict[str, str] = {}

    def __init__(self, url: str | None = None, *, fallback: MatrixProvider | None = None) -> None:
        self.url = (settings.DISPATCH_ROAD_SERVER_URL if url is None else url).rstrip("/")
        self.fallback = fallback or GreatCircleProvider()
        read = float(settings.DISPATCH_ROAD_TIMEOUT_SECONDS)
        self.timeout = (min(2.0, read), read)  # (connect, read) per request
        self.block = max(2, int(settings.DISPATCH_ROAD_MAX_LOCATIONS))
        self.retry_seconds = float(settings.DISPATCH_ROAD_RETRY_SECONDS)

    def profile(self, vehicle_type: str) -> str:
        configured = {**self.profiles, **settings.DISPATCH_ROAD_PROFILES}
        return configured.get(vehicle_type, configured["default"])

    def matrix(self, points: Sequence[Point], *, vehicle_type: str = "default") -> Matrix:
        if not self.url or len(points) < 2:
            return self.fallback.matrix(points, vehicle_type=vehicle_type)
        with _down_lock:
            if _down_until.get(self.url, 0.0) > time.monotonic():
                return self.fallback.matrix(points, vehicle_type=vehicle_type)
        try:
            durations, distances = self._table(points, self.profile(vehicle_type))
        except RoadServerFailed as exc:
            with _down_lock:
                _down_until[self.url] = time.monotonic() + self.retry_seconds
            log.warning(
                "dispatch.road_matrix_failed",
                provider=self.name,
                url=self.url,
                error=str(exc)[:300],
                points=len(points),
                retry_in_s=self.retry_seconds,
            )
            return self.fallback.matrix(points, vehicle_type=vehicle_type)
        n = len(points)
        if not any(cell is None for table in (durations, distances) for row in table for cell in row):
            return Matrix(
                [[0 if i == j else round(distances[i][j] or 0) for j in range(n)] for i in range(n)],
                [[0 if i == j else round(durations[i][j] or 0) for j in range(n)] for i in range(n)],
            )
        estimate = self.fallback.matrix(points, vehicle_type=vehicle_type)  # for the pairs the network cannot join
        return Matrix(
            [[0 if i == j else _cell(distances[i][j], estimate.distance_m[i][j]) for j in range(n)] for i in range(n)],
            [[0 if i == j else _cell(durations[i][j], estimate.duration_s[i][j]) for j in range(n)] for i in range(n)],
        )

    def _table(self, points: Sequence[Point], profile: str) -> tuple[Cells, Cells]:
        n, size = len(points), self.block
        durations: Cells = [[None] * n for _ in range(n)]
        distances: Cells = [[None] * n for _ in range(n)]
        with requests.Session() as session:  # one connection for all the blocks of this matrix
            for i in range(0, n, size):
                for j in range(0, n, size):
                    rows, cols = range(i, min(n, i + size)), range(j, min(n, j + size))
                    block = self._block(session, points, rows, cols, profile)
                    for k, row in enumerate(rows):
                        durations[row][j : j + len(cols)] = block[0][k]
                        distances[row][j : j + len(cols)] = block[1][k]
        return durations, distances

    def _block(
        self, session: requests.Session, points: Sequence[Point], rows: range, cols: range, profile: str
    ) -> tuple[Cells, Cells]:
        raise NotImplementedError

    def _send(self, session: requests.Session, method: str, url: str, **kwargs: Any) -> Any:
        try:
            response = session.request(method, url, timeout=self.timeout, allow_redirects=False, **kwargs)
        except requests.RequestException as exc:
            raise RoadServerFailed(f"{type(exc).__name__}: {exc}") from exc
        if response.status_code != 200:
            raise RoadServerFailed(f"HTTP {response.status_code}: {response.text[:200]}")
        try:
            return response.json()
        except ValueError as exc:
            raise RoadServerFailed(f"not JSON: {response.text[:200]!r}") from exc


def _cell(value: float | None, estimate: int) -> int:
    return estimate if value is None else round(value)


def _grid(value: Any, rows: int, cols: int, what: str, scale: float = 1.0) -> Cells:
    """`value` as a rows × cols table of non-negative finite numbers or nulls, each times `scale`."""
    if not isinstance(value, list) or len(value) != rows:
        raise RoadServerFailed(f"{what}: not {rows} rows")
    out: Cells = []
    for row in value:
        if not isinstance(row, list) or len(row) != cols:
            raise RoadServerFailed(f"{what}: a row is not {cols} long")
        for cell in row:
            if cell is not None and (
                isinstance(cell, bool) or not isinstance(cell, int | float) or not math.isfinite(cell) or cell < 0
            ):
                raise RoadServerFailed(f"{what}: {cell!r} is not a travel figure")
        out.append([None if c is None else c * scale for c in row])
    return out


class OsrmProvider(_RoadProvider):
    """OSRM's table service (osrm-routed, or any server speaking its HTTP API). Distances need a server that
    computes them (`annotations=distance`; OSRM's MLD pipeline answers NotImplemented in older versions: use CH).
    One osrm-routed serves the one profile its data was prepared with, whatever the URL says; several profiles are
    several servers behind a proxy routing on the path."""

    name = "osrm"
    profiles = {"default": "driving", "bike": "cycling"}

    def _block(self, session, points, rows, cols, profile):
        same = rows == cols
        chosen = list(rows) if same else [*rows, *cols]
        coordinates = ";".join(f"{points[k][1]:.6f},{points[k][0]:.6f}" for k in chosen)  # lon,lat
        query = "annotations=duration,distance"  # as OSRM documents it: `,` and `;` not percent-encoded
        if not same:
            query += "&sources=" + ";".join(str(k) for k in range(len(rows)))
            query += "&destinations=" + ";".join(str(len(rows) + k) for k in range(len(cols)))
        answer = self._send(session, "GET", f"{self.url}/table/v1/{profile}/{coordinates}?{query}")
        if not isinstance(answer, dict) or answer.get("code") != "Ok":
            code = answer.get("code") if isinstance(answer, dict) else None
            raise RoadServerFailed(f"OSRM answered {code!r}")
        return (
            _grid(answer.get("durations"), len(rows), len(cols), "durations"),
            _grid(answer.get("distances"), len(rows), len(cols), "distances"),
        )


class ValhallaProvider(_RoadProvider):
    """Valhalla's time-distance matrix (`sources_to_targets`, verbose answer: one object per pair)."""

    name = "valhalla"
    profiles = {"default": "auto", "bike": "bicycle", "truck": "truck"}

    def _block(self, session, points, rows, cols, profile):
        body = {
            "sources": [{"lat": points[k][0], "lon": points[k][1]} for k in rows],
            "targets": [{"lat": points[k][0], "lon": points[k][1]} for k in cols],
            "costing": profile,
            "units": "kilometers",
        }
        answer = self._send(session, "POST", f"{self.url}/sources_to_targets", json=body)
        table = answer.get("sources_to_targets") if isinstance(answer, dict) else None
        if not isinstance(table, list) or not all(isinstance(row, list) for row in table):
            raise RoadServerFailed("no sources_to_targets table")
        metres = 1609.344 if answer.get("units") in ("miles", "mi") else 1000.0

        def pick(key: str) -> list:
            return [[cell.get(key) if isinstance(cell, dict) else "?" for cell in row] for row in table]

        return (
            _grid(pick("time"), len(rows), len(cols), "time"),
            _grid(pick("distance"), len(rows), len(cols), "distance", scale=metres),
        )


def provider() -> MatrixProvider:
    return import_string(settings.DISPATCH_MATRIX_PROVIDER)()
