"""What trips' REST tests share: two stops in Berlin and the calls a client makes to book, step, assign and read
a trip. Any context's tests may use them; the world they run in (fleet, van, driver on a shift) is
tests/support/trip_world.py."""

from logitrack.testing import images as testing_images

PICKUP = {"kind": "pickup", "address": "Invalidenstraße 1, Berlin", "lat": 52.5310, "lng": 13.3847}

DROPOFF = {"kind": "dropoff", "address": "Oranienstraße 25, Berlin", "lat": 52.5016, "lng": 13.4190}

PNG = testing_images.png()  # real files: uploads are decoded and re-encoded

JPEG = testing_images.jpeg()


def book(client, fleet_id, **extra):
    return client.post(
        "/api/v1/trips/trips/",
        {"fleet_id": str(fleet_id), "vehicle_type": "van", "stops": [PICKUP, DROPOFF], "weight_kg": 120, **extra},
        format="json",
    )


def step(client, trip, action, version, **extra):
    return client.post(
        f"/api/v1/trips/trips/{trip}/transitions/",
        {"action": action, **extra},
        format="json",
        HTTP_IF_MATCH=f'W/"{version}"',
    )


def assign(client, trip_id, shift_id, version, **extra):
    return client.post(
        f"/api/v1/trips/trips/{trip_id}/assign/",
        {"shift_id": str(shift_id), **extra},
        format="json",
        HTTP_IF_MATCH=f'W/"{version}"',
    )


def detail(client, trip_id):
    response = client.get(f"/api/v1/trips/trips/{trip_id}/")
    assert response.status_code == 200, response.json()
    return response.json()
