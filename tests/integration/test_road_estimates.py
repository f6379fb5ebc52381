"""One road-detour factor for every context: a quote's estimate, a trip's fallback distance and the routing
matrix all read ROAD_DETOUR_FACTOR, so changing it moves all three together."""

import pytest
from django.utils import timezone

from apps.billing.services import fares
from apps.dispatch import matrix
from logitrack.types import GeoPoint, road_distance_m

BERLIN = [GeoPoint(52.5310, 13.3847), GeoPoint(52.5016, 13.4190), GeoPoint(52.4900, 13.4300)]


def test_the_road_estimate_is_the_straight_legs_times_the_factor():
    legs = BERLIN[0].distance_m(BERLIN[1]) + BERLIN[1].distance_m(BERLIN[2])
    assert road_distance_m(BERLIN, detour=1.3) == pytest.approx(legs * 1.3)
    assert road_distance_m(BERLIN[:1], detour=1.3) == 0


@pytest.mark.parametrize("factor", [1.0, 1.3, 1.7])
def test_quotes_and_route_plans_use_the_same_factor(settings, factor):
    settings.ROAD_DETOUR_FACTOR = factor
    quoted = fares.estimate_facts(points=BERLIN[:2], at=timezone.now(), vehicle_type="van").distance_m
    planned = (
        matrix.GreatCircleProvider()
        .matrix([(BERLIN[0].lat, BERLIN[0].lng), (BERLIN[1].lat, BERLIN[1].lng)], vehicle_type="van")
        .distance_m[0][1]
    )
    assert quoted == round(road_distance_m(BERLIN[:2], detour=factor))
    assert abs(quoted - planned) <= 1  # the same metres, rounded once each
