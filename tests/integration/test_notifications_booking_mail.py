"""Through the real booking service over REST: the customer books, the outbox relays the event, the handler makes
the delivery, the sender hands it to the SMTP server, and the mail's link is the trip's own tracking link."""

import re

from apps.notifications.services import deliveries
from apps.trips.tests.rest import book
from tests.support import smtp as smtp_server
from tests.support import trip_world
from tests.support.isolation import client_for

smtp, world = smtp_server.smtp, trip_world.world  # fixtures: a real SMTP server, a fleet with a van on a shift


def test_a_booking_over_rest_sends_the_confirmation_with_its_tracking_link(world, smtp, relay_and_deliver):
    two_fleets, fleet, *_ = world
    response = book(client_for(two_fleets.customer), fleet.id)
    assert response.status_code == 201, response.json()
    booked_token = response.json()["tracking_url"].rstrip("/").rsplit("/", 1)[-1]
    assert smtp.received == []  # nothing is sent before the event is relayed

    relay_and_deliver()
    assert deliveries.deliveries_send_due() == 1

    [(sender, recipients, raw)] = smtp.received
    assert sender == "messages@logitrack.test" and recipients == [two_fleets.customer.email]
    assert b"Subject: =?utf-8?" in raw  # a German subject, encoded on the wire
    [mail] = smtp.messages()
    text = mail.get_body(preferencelist=("plain",)).get_content()
    assert re.search(r"https://track\.example\.test/track/([\w-]+)/", text).group(1) == booked_token
    # a second relay (at least once) sends nothing more
    relay_and_deliver()
    assert deliveries.deliveries_send_due() == 0 and len(smtp.received) == 1
