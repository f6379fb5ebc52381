"""Travel distances and times between points: the matrix provider interface and the built-in provider.

Route optimisation, matching and ETAs ask a provider, never compute travel themselves, so a road-network
provider (OSRM or Valhalla `table` calls) can replace the built-in one by setting DISPATCH_MATRIX_PROVIDER.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

from apps.dispatch.domain import haversine_m

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


def provider() -> MatrixProvider:
    return import_string(settings.DISPATCH_MATRIX_PROVIDER)()
