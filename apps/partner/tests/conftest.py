import pytest

from apps.partner.models import DriverProfile


@pytest.fixture
def drivers(two_fleets, relay_and_deliver):
    """The isolation kit's drivers, with the profiles partner creates when it hears of their role."""
    relay_and_deliver()
    return (
        DriverProfile.objects.get(user_id=two_fleets.a.users["driver"].id),
        DriverProfile.objects.get(user_id=two_fleets.b.users["driver"].id),
    )
