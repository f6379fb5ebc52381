"""The tenant-isolation matrix: every REST and websocket route, checked against the isolation kit.

`test_every_route_has_an_isolation_case_or_an_exemption` walks the URL conf (through every include) and the
websocket router: a route with neither a case in REST_CASES / WS_CASES nor an entry in EXEMPT fails it, and so
does a view method no probe covers. Each case then runs against one two-fleet world (tests/support/
isolation_matrix.py) as every role of fleet A and a customer who booked nothing: fleet B's ids answer 404
problem+json and its rows stay as they were, lists never show B's rows (also filtered by B's fleet id), and
fleet B's dispatch feed refuses fleet A before accepting. How to add a case: docs/development.md.
"""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from django.db import transaction
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.tokens import AccessToken

from apps.billing.models import JournalTransaction, Payout, Quote
from apps.dispatch.models import PositionPing, RoutePlan, RoutingJob
from apps.fleet.models import Fleet, MaintenanceWindow, Vehicle, VehicleDocument
from apps.fleet.tests.factories import active_fleet
from apps.identity.models import Invitation, Membership, User
from apps.partner.models import AvailabilityException, AvailabilityWindow, DriverProfile, KycDocument
from apps.partner.tests.factories import JPEG, pdf
from apps.trips.models import Offer, Shift, Trip
from logitrack.realtime import CLOSE_FORBIDDEN, CLOSE_UNAUTHENTICATED
from tests.support.isolation_matrix import (
    PICKUP,
    Check,
    Exempt,
    World,
    both,
    build_world,
    case,
    expect_problem,
    hidden,
    listing,
    refused,
    rest_routes,
    route_name,
    rows,
    websocket_routes,
)

M, D, R, C = "fleet_manager", "dispatcher", "driver", "customer"
STAFF_ONLY = {R, C}  # fleet managers and dispatchers
MANAGERS_ONLY = {D, R, C}
DRIVERS_ONLY = {M, D, C}
NOBODY = {M, D, R, C}  # platform admins only
FLEET_ROLES = (M, D, R)  # where customers are not bound to a fleet (they may quote and book with any)
V1 = 'W/"1"'


def api(path: str) -> str:
    return f"/api/v1/{path}"


def ping(**extra) -> dict:
    return {
        "ping_id": str(uuid.uuid4()),
        "lat": PICKUP[0],
        "lng": PICKUP[1],
        "recorded_at": timezone.now().isoformat(),
        **extra,
    }


def soon(hours: float) -> str:
    return (timezone.now() + dt.timedelta(hours=hours)).isoformat()


# ---- the REST cases, by URL pattern name --------------------------------------------------------------------------

REST_CASES = {
    # fleet
    "fleet-v1:fleets": case(
        listing(
            api("fleet/fleets/"),
            lambda w: [w.b.fleet_id],
            params=lambda w: [{}, {"search": "Bravo"}, {"status": "active"}],
            own=lambda w: (M, [w.a.fleet_id]),
        ),
        exempt_methods={"post": "applying opens a new fleet for the caller; it names no existing fleet"},
    ),
    "fleet-v1:fleet": case(
        hidden(
            "get", lambda w: api(f"fleet/fleets/{w.b.fleet_id}/"), own=lambda w: api(f"fleet/fleets/{w.a.fleet_id}/")
        ),
        hidden(
            "patch",
            lambda w: api(f"fleet/fleets/{w.b.fleet_id}/"),
            data={"name": "pwned"},
            unchanged=rows(Fleet, id=lambda w: w.b.fleet_id),
        ),
    ),
    "fleet-v1:fleet-transition": case(
        hidden(
            "post",
            lambda w: api(f"fleet/fleets/{w.b.fleet_id}/transitions/"),
            data={"action": "suspend", "reason": "x"},
            deny=NOBODY,
            unchanged=rows(Fleet, id=lambda w: w.b.fleet_id),
        )
    ),
    "fleet-v1:fleet-history": case(
        hidden(
            "get",
            lambda w: api(f"fleet/fleets/{w.b.fleet_id}/history/"),
            deny=MANAGERS_ONLY,
            own=lambda w: api(f"fleet/fleets/{w.a.fleet_id}/history/"),
        )
    ),
    "fleet-v1:vehicles": case(
        listing(api("fleet/vehicles/"), lambda w: [w.b.van.id], deny=STAFF_ONLY, own=lambda w: (D, [w.a.van.id])),
        hidden(
            "post",
            api("fleet/vehicles/"),
            data=lambda w: {
                "fleet_id": str(w.b.fleet_id),
                "type": "van",
                "registration": "SNEAK 1",
                "make": "VW",
                "model": "Crafter",
                "year": 2022,
            },
            deny=STAFF_ONLY,
            unchanged=rows(Vehicle, fleet_id=lambda w: w.b.fleet_id),
        ),
    ),
    "fleet-v1:vehicle": case(
        hidden(
            "get",
            lambda w: api(f"fleet/vehicles/{w.b.van.id}/"),
            deny=STAFF_ONLY,
            own=lambda w: api(f"fleet/vehicles/{w.a.van.id}/"),
        ),
        hidden(
            "patch",
            lambda w: api(f"fleet/vehicles/{w.b.van.id}/"),
            data={"make": "pwned"},
            deny=STAFF_ONLY,
            unchanged=rows(Vehicle, id=lambda w: w.b.van.id),
        ),
    ),
    "fleet-v1:vehicle-status": case(
        hidden(
            "post",
            lambda w: api(f"fleet/vehicles/{w.b.van.id}/status/"),
            data={"status": "retired"},
            deny=MANAGERS_ONLY,
            unchanged=rows(Vehicle, id=lambda w: w.b.van.id),
        )
    ),
    "fleet-v1:vehicle-documents": case(
        hidden(
            "get",
            lambda w: api(f"fleet/vehicles/{w.b.van.id}/documents/"),
            deny=MANAGERS_ONLY,
            own=lambda w: api(f"fleet/vehicles/{w.a.van.id}/documents/"),
        ),
        hidden(
            "post",
            lambda w: api(f"fleet/vehicles/{w.b.van.id}/documents/"),
            data={"kind": "insurance", "expires_on": "2031-01-01"},
            deny=MANAGERS_ONLY,
            unchanged=rows(VehicleDocument, vehicle_id=lambda w: w.b.van.id),
        ),
    ),
    "fleet-v1:vehicle-document-file": case(
        hidden(
            "get",
            lambda w: api(f"fleet/vehicles/{w.b.van.id}/documents/{w.b.vehicle_document.id}/file/"),
            deny=MANAGERS_ONLY,
            own=lambda w: api(f"fleet/vehicles/{w.a.van.id}/documents/{w.a.vehicle_document.id}/file/"),
        ),
        hidden(  # fleet A's vehicle, fleet B's document
            "get",
            lambda w: api(f"fleet/vehicles/{w.a.van.id}/documents/{w.b.vehicle_document.id}/file/"),
            deny=MANAGERS_ONLY,
        ),
    ),
    "fleet-v1:vehicle-maintenance": case(
        hidden(
            "get",
            lambda w: api(f"fleet/vehicles/{w.b.van.id}/maintenance/"),
            deny=STAFF_ONLY,
            own=lambda w: api(f"fleet/vehicles/{w.a.van.id}/maintenance/"),
        ),
        hidden(
            "post",
            lambda w: api(f"fleet/vehicles/{w.b.van.id}/maintenance/"),
            data={"starts_at": "2031-01-01T08:00:00Z", "ends_at": "2031-01-01T09:00:00Z"},
            deny=STAFF_ONLY,
            unchanged=rows(MaintenanceWindow, vehicle_id=lambda w: w.b.van.id),
        ),
    ),
    # partner
    "partner-v1:drivers": case(
        listing(
            api("partner/drivers/"),
            lambda w: [w.b.driver.id],
            deny=STAFF_ONLY,
            params=lambda w: [{}, {"fleet_id": str(w.b.fleet_id)}, {"include_inactive": "true"}],
            own=lambda w: (D, [w.a.driver.id]),
        )
    ),
    "partner-v1:driver": case(
        hidden(
            "get",
            lambda w: api(f"partner/drivers/{w.b.driver.id}/"),
            deny=STAFF_ONLY,
            own=lambda w: api(f"partner/drivers/{w.a.driver.id}/"),
        )
    ),
    "partner-v1:driver-suspend": case(
        hidden(
            "post",
            lambda w: api(f"partner/drivers/{w.b.driver.id}/suspend/"),
            data={"reason": "x"},
            deny=MANAGERS_ONLY,
            unchanged=rows(DriverProfile, id=lambda w: w.b.driver.id),
        )
    ),
    "partner-v1:driver-reinstate": case(
        hidden(
            "post",
            lambda w: api(f"partner/drivers/{w.b.driver.id}/reinstate/"),
            deny=MANAGERS_ONLY,
            unchanged=rows(DriverProfile, id=lambda w: w.b.driver.id),
        )
    ),
    "partner-v1:driver-documents": case(
        hidden(
            "get",
            lambda w: api(f"partner/drivers/{w.b.driver.id}/documents/"),
            deny=MANAGERS_ONLY,
            own=lambda w: api(f"partner/drivers/{w.a.driver.id}/documents/"),
        )
    ),
    "partner-v1:documents": case(
        listing(
            api("partner/documents/"),
            lambda w: w.b.driver.documents.values_list("id", flat=True),
            deny=MANAGERS_ONLY,
            params=lambda w: [{"status": "approved"}, {"status": "approved", "fleet_id": str(w.b.fleet_id)}],
            own=lambda w: (M, w.a.driver.documents.values_list("id", flat=True)),
        )
    ),
    "partner-v1:document-review": case(
        hidden(
            "post",
            lambda w: api(f"partner/documents/{w.b.kyc_document.id}/review/"),
            data={"decision": "reject", "reason": "x"},
            deny=MANAGERS_ONLY,
            unchanged=rows(KycDocument, id=lambda w: w.b.kyc_document.id),
        )
    ),
    "partner-v1:document-file": case(
        hidden(
            "get",
            lambda w: api(f"partner/documents/{w.b.kyc_document.id}/file/"),
            deny={D, C},
            own=lambda w: api(f"partner/documents/{w.a.kyc_document.id}/file/"),
        )
    ),
    "partner-v1:driver-photo": case(
        hidden(
            "get",
            lambda w: api(f"partner/drivers/{w.b.driver.id}/photo/"),
            deny={C},
            own=lambda w: api(f"partner/drivers/{w.a.driver.id}/photo/"),
        )
    ),
    # the driver app's own resources: a driver naming fleet B (?fleet_id=) drives for no such fleet
    "partner-v1:me": case(
        hidden(
            "get",
            lambda w: api(f"partner/me/?fleet_id={w.b.fleet_id}"),
            deny=DRIVERS_ONLY,
            own=lambda w: api(f"partner/me/?fleet_id={w.a.fleet_id}"),
        ),
        hidden(
            "patch",
            lambda w: api(f"partner/me/?fleet_id={w.b.fleet_id}"),
            data={"phone": "+4915100000099"},
            deny=DRIVERS_ONLY,
            unchanged=rows(DriverProfile, user_id=lambda w: w.a.user(R).id),
        ),
    ),
    "partner-v1:my-documents": case(
        hidden(
            "get",
            lambda w: api(f"partner/me/documents/?fleet_id={w.b.fleet_id}"),
            deny=DRIVERS_ONLY,
            own=lambda w: api("partner/me/documents/"),
        ),
        hidden(
            "post",
            lambda w: api(f"partner/me/documents/?fleet_id={w.b.fleet_id}"),
            data=lambda w: {"type": "background_check", "file": pdf(), "provider": "x", "reference": "y"},
            multipart=True,
            deny=DRIVERS_ONLY,
            unchanged=rows(KycDocument, driver__user_id=lambda w: w.a.user(R).id),
        ),
    ),
    "partner-v1:my-photo": case(
        hidden(
            "post",
            lambda w: api(f"partner/me/photo/?fleet_id={w.b.fleet_id}"),
            data=lambda w: {"photo": pdf("me.jpg", JPEG)},
            multipart=True,
            deny=DRIVERS_ONLY,
            unchanged=rows(DriverProfile, user_id=lambda w: w.a.user(R).id),
        )
    ),
    "partner-v1:my-compliance": case(
        hidden(
            "get",
            lambda w: api(f"partner/me/compliance/?fleet_id={w.b.fleet_id}"),
            deny=DRIVERS_ONLY,
            own=lambda w: api("partner/me/compliance/"),
        )
    ),
    "partner-v1:my-duty": case(
        hidden(
            "post",
            lambda w: api(f"partner/me/duty/?fleet_id={w.b.fleet_id}"),
            data={"on_duty": False},
            deny=DRIVERS_ONLY,
            unchanged=rows(DriverProfile, user_id=lambda w: w.a.user(R).id),
        )
    ),
    "partner-v1:my-availability": case(
        hidden(
            "get",
            lambda w: api(f"partner/me/availability/?fleet_id={w.b.fleet_id}"),
            deny=DRIVERS_ONLY,
            own=lambda w: api("partner/me/availability/"),
        ),
        hidden(
            "put",
            lambda w: api(f"partner/me/availability/?fleet_id={w.b.fleet_id}"),
            data={"windows": [{"weekday": 0, "starts": "08:00", "ends": "12:00"}]},
            deny=DRIVERS_ONLY,
            unchanged=rows(AvailabilityWindow, driver__user_id=lambda w: w.a.user(R).id),
        ),
    ),
    "partner-v1:my-availability-exceptions": case(
        hidden(
            "post",
            lambda w: api(f"partner/me/availability/exceptions/?fleet_id={w.b.fleet_id}"),
            data={"date": "2031-01-01"},
            deny=DRIVERS_ONLY,
            unchanged=rows(AvailabilityException, driver__user_id=lambda w: w.a.user(R).id),
        )
    ),
    "partner-v1:my-availability-exception": case(
        hidden(
            "delete",
            lambda w: api(f"partner/me/availability/exceptions/{w.b.availability_exception.id}/"),
            deny=DRIVERS_ONLY,
            unchanged=rows(AvailabilityException, id=lambda w: w.b.availability_exception.id),
        )
    ),
    # billing
    "billing-v1:quotes": case(
        hidden(
            "post",
            api("billing/quotes/"),
            data=lambda w: {
                "fleet_id": str(w.b.fleet_id),
                "vehicle_type": "van",
                "stops": [[52.52, 13.40], [52.50, 13.42]],
            },
            actors=FLEET_ROLES,
            deny={R},
            unchanged=rows(Quote, fleet_id=lambda w: w.b.fleet_id),
        )
    ),
    "billing-v1:quote": case(
        hidden(
            "get",
            lambda w: api(f"billing/quotes/{w.b.quote.id}/"),
            deny={R},
            own=lambda w: api(f"billing/quotes/{w.a.quote.id}/"),
        )
    ),
    "billing-v1:wallet": case(
        hidden(
            "get",
            lambda w: api(f"billing/wallet/?fleet_id={w.b.fleet_id}"),
            deny=DRIVERS_ONLY,
            own=lambda w: api("billing/wallet/"),
        )
    ),
    "billing-v1:payouts": case(
        listing(
            api("billing/payouts/"),
            lambda w: [w.b.payout.id],
            deny={D, C},
            own=lambda w: (M, [w.a.payout.id]),
        ),
        hidden(
            "post",
            lambda w: api(f"billing/payouts/?fleet_id={w.b.fleet_id}"),
            data=lambda w: {"amount_minor": 1, "request_id": str(uuid.uuid4())},
            deny={D, C},
            unchanged=both(
                rows(Payout, fleet_id=lambda w: w.b.fleet_id), rows(Payout, fleet_id=lambda w: w.a.fleet_id)
            ),
        ),
    ),
    "billing-v1:payout-decide": case(
        hidden(
            "post",
            lambda w: api(f"billing/payouts/{w.b.payout.id}/decide/"),
            data={"decision": "approve"},
            deny=MANAGERS_ONLY,
            unchanged=rows(Payout, id=lambda w: w.b.payout.id),
        )
    ),
    "billing-v1:payout-paid": case(
        hidden(
            "post",
            lambda w: api(f"billing/payouts/{w.b.payout.id}/paid/"),
            data={"bank_reference": "SEPA-1"},
            deny=MANAGERS_ONLY,
            unchanged=rows(Payout, id=lambda w: w.b.payout.id),
        )
    ),
    "billing-v1:trip-refund": case(
        hidden(
            "post",
            lambda w: api(f"billing/trips/{w.b.trip_done.id}/refund/"),
            data={"reason": "late"},
            deny=MANAGERS_ONLY,
            unchanged=rows(JournalTransaction, reference_id=lambda w: w.b.trip_done.id),
        )
    ),
    "billing-v1:invoices": case(
        listing(
            api("billing/invoices/"),
            lambda w: [w.b.invoice.id],
            deny={D, R},
            params=lambda w: [{}, {"kind": "receipt"}, {"fleet_id": str(w.b.fleet_id)}],
            own=lambda w: (M, [w.a.invoice.id]),
        )
    ),
    "billing-v1:invoice-pdf": case(
        hidden("get", lambda w: api(f"billing/invoices/{w.b.invoice.id}/pdf/"), deny={D, R}),
    ),
    # trips
    "trips-v1:trips": case(
        listing(
            api("trips/trips/"),
            lambda w: w.b.trip_ids,
            params=lambda w: [{}, {"fleet_id": str(w.b.fleet_id)}, {"status": "requested"}],
            own=lambda w: (D, w.a.trip_ids),
        ),
        hidden(
            "post",
            api("trips/trips/"),
            data=lambda w: {
                "fleet_id": str(w.b.fleet_id),
                "vehicle_type": "van",
                "stops": [
                    {"kind": "pickup", "address": "a", "lat": 52.53, "lng": 13.38},
                    {"kind": "dropoff", "address": "b", "lat": 52.50, "lng": 13.42},
                ],
            },
            actors=FLEET_ROLES,
            unchanged=rows(Trip, fleet_id=lambda w: w.b.fleet_id),
        ),
        refused(  # fleet A's booking, priced with fleet B's customer's quote
            "post",
            lambda w: api("trips/trips/"),
            lambda w: {
                "fleet_id": str(w.a.fleet_id),
                "vehicle_type": "van",
                "quote_id": str(w.b.quote.id),
                "stops": [
                    {"kind": "pickup", "address": "a", "lat": 52.53, "lng": 13.38},
                    {"kind": "dropoff", "address": "b", "lat": 52.50, "lng": 13.42},
                ],
            },
            actor=D,
            status=400,
            unchanged=rows(Quote, id=lambda w: w.b.quote.id),
        ),
    ),
    "trips-v1:trip": case(
        hidden(
            "get",
            lambda w: api(f"trips/trips/{w.b.trip_open.id}/"),
            own=lambda w: api(f"trips/trips/{w.a.trip_open.id}/"),
        )
    ),
    "trips-v1:trip-transition": case(
        hidden(
            "post",
            lambda w: api(f"trips/trips/{w.b.trip_open.id}/transitions/"),
            data={"action": "cancel", "reason": "x"},
            headers={"HTTP_IF_MATCH": V1},
            unchanged=rows(Trip, id=lambda w: w.b.trip_open.id),
        )
    ),
    "trips-v1:trip-assign": case(
        hidden(
            "post",
            lambda w: api(f"trips/trips/{w.b.trip_open.id}/assign/"),
            data=lambda w: {"shift_id": str(w.b.shift.id)},
            headers={"HTTP_IF_MATCH": V1},
            deny=STAFF_ONLY,
            unchanged=rows(Trip, id=lambda w: w.b.trip_open.id),
        ),
        refused(  # fleet A's trip onto fleet B's shift
            "post",
            lambda w: api(f"trips/trips/{w.a.trip_open.id}/assign/"),
            lambda w: {"shift_id": str(w.b.shift.id)},
            actor=D,
            status=409,
            headers={"HTTP_IF_MATCH": V1},
            unchanged=rows(Shift, id=lambda w: w.b.shift.id),
        ),
    ),
    "trips-v1:trip-timeline": case(
        hidden(
            "get",
            lambda w: api(f"trips/trips/{w.b.trip_done.id}/timeline/"),
            own=lambda w: api(f"trips/trips/{w.a.trip_done.id}/timeline/"),
        )
    ),
    "trips-v1:trip-stop-arrive": case(
        hidden(
            "post",
            lambda w: api(f"trips/trips/{w.b.trip_open.id}/stops/1/arrive/"),
            headers={"HTTP_IF_MATCH": V1},
            deny=DRIVERS_ONLY,
            unchanged=rows(Trip, id=lambda w: w.b.trip_open.id),
        )
    ),
    "trips-v1:trip-stop-done": case(
        hidden(
            "post",
            lambda w: api(f"trips/trips/{w.b.trip_open.id}/stops/2/done/"),
            data={"recipient_name": "x"},
            multipart=True,
            headers={"HTTP_IF_MATCH": V1},
            deny=DRIVERS_ONLY,
            unchanged=rows(Trip, id=lambda w: w.b.trip_open.id),
        )
    ),
    "trips-v1:trip-stop-fail": case(
        hidden(
            "post",
            lambda w: api(f"trips/trips/{w.b.trip_open.id}/stops/1/fail/"),
            data={"reason": "closed"},
            headers={"HTTP_IF_MATCH": V1},
            deny=DRIVERS_ONLY,
            unchanged=rows(Trip, id=lambda w: w.b.trip_open.id),
        )
    ),
    "trips-v1:trip-stop-proof": case(
        hidden(
            "get",
            lambda w: api(f"trips/trips/{w.b.trip_done.id}/stops/2/proof/"),
            own=lambda w: api(f"trips/trips/{w.a.trip_done.id}/stops/2/proof/"),
        )
    ),
    "trips-v1:trip-stop-proof-file": case(
        hidden(
            "get",
            lambda w: api(f"trips/trips/{w.b.trip_done.id}/stops/2/proof/signature/"),
            own=lambda w: api(f"trips/trips/{w.a.trip_done.id}/stops/2/proof/signature/"),
        ),
        hidden("get", lambda w: api(f"trips/trips/{w.b.trip_done.id}/stops/2/proof/photo/")),
    ),
    "trips-v1:trip-offers": case(
        hidden(
            "post",
            lambda w: api(f"trips/trips/{w.b.trip_open.id}/offers/"),
            data=lambda w: {"shift_id": str(w.b.shift.id)},
            deny=STAFF_ONLY,
            unchanged=rows(Offer, trip_id=lambda w: w.b.trip_open.id),
        ),
        refused(  # fleet A's trip offered to fleet B's driver
            "post",
            lambda w: api(f"trips/trips/{w.a.trip_open.id}/offers/"),
            lambda w: {"shift_id": str(w.b.shift.id)},
            actor=D,
            status=409,
            unchanged=rows(Offer, shift_id=lambda w: w.b.shift.id),
        ),
    ),
    "trips-v1:my-offers": case(
        listing(api("trips/offers/"), lambda w: [w.b.offer.id], deny=DRIVERS_ONLY, own=lambda w: (R, [w.a.offer.id]))
    ),
    "trips-v1:offer-accept": case(
        hidden(
            "post",
            lambda w: api(f"trips/offers/{w.b.offer.id}/accept/"),
            data={},
            deny=DRIVERS_ONLY,
            unchanged=both(rows(Offer, id=lambda w: w.b.offer.id), rows(Trip, id=lambda w: w.b.trip_offered.id)),
        )
    ),
    "trips-v1:offer-reject": case(
        hidden(
            "post",
            lambda w: api(f"trips/offers/{w.b.offer.id}/reject/"),
            data={"reason": "far"},
            deny=DRIVERS_ONLY,
            unchanged=both(rows(Offer, id=lambda w: w.b.offer.id), rows(Trip, id=lambda w: w.b.trip_offered.id)),
        )
    ),
    "trips-v1:shifts": case(
        listing(api("trips/shifts/"), lambda w: [w.b.shift.id], deny={C}, own=lambda w: (D, [w.a.shift.id])),
        hidden(
            "post",
            api("trips/shifts/"),
            data=lambda w: {
                "fleet_id": str(w.b.fleet_id),
                "driver_id": str(w.b.driver.id),
                "vehicle_id": str(w.b.van.id),
                "starts_at": soon(30),
                "ends_at": soon(36),
            },
            deny={C},
            unchanged=rows(Shift, fleet_id=lambda w: w.b.fleet_id),
        ),
        refused(  # a shift in fleet A for fleet B's driver and van
            "post",
            lambda w: api("trips/shifts/"),
            lambda w: {
                "fleet_id": str(w.a.fleet_id),
                "driver_id": str(w.b.driver.id),
                "vehicle_id": str(w.b.van.id),
                "starts_at": soon(30),
                "ends_at": soon(36),
            },
            actor=D,
            status=409,
            unchanged=rows(Shift, driver_id=lambda w: w.b.driver.id),
        ),
    ),
    "trips-v1:shift-start": case(
        hidden(
            "post",
            lambda w: api(f"trips/shifts/{w.b.shift.id}/start/"),
            data={"odometer_km": "1.0"},
            deny=DRIVERS_ONLY,
            unchanged=rows(Shift, id=lambda w: w.b.shift.id),
        )
    ),
    "trips-v1:shift-end": case(
        hidden(
            "post",
            lambda w: api(f"trips/shifts/{w.b.shift.id}/end/"),
            data={"odometer_km": "2.0"},
            deny=DRIVERS_ONLY,
            unchanged=rows(Shift, id=lambda w: w.b.shift.id),
        )
    ),
    "trips-v1:shift-cancel": case(
        hidden(
            "post",
            lambda w: api(f"trips/shifts/{w.b.shift.id}/cancel/"),
            deny=STAFF_ONLY,
            unchanged=rows(Shift, id=lambda w: w.b.shift.id),
        )
    ),
    # dispatch
    "dispatch-v1:positions": case(
        hidden(
            "post",
            api("dispatch/positions/"),
            data=lambda w: {"fleet_id": str(w.b.fleet_id), "pings": [ping()]},
            deny=DRIVERS_ONLY,
            unchanged=rows(PositionPing, fleet_id=lambda w: w.b.fleet_id),
        ),
        refused(  # pings claimed for fleet B's driver
            "post",
            lambda w: api("dispatch/positions/"),
            lambda w: {"pings": [ping(driver_id=str(w.b.driver.id))]},
            actor=R,
            status=403,
            unchanged=rows(PositionPing, driver_id=lambda w: w.b.driver.id),
        ),
    ),
    "dispatch-v1:driver-trail": case(
        hidden(
            "get",
            lambda w: api(f"dispatch/drivers/{w.b.driver.id}/trail/"),
            deny={C},
            own=lambda w: api(f"dispatch/drivers/{w.a.driver.id}/trail/"),
        )
    ),
    "dispatch-v1:snapshot": case(
        hidden(
            "get",
            lambda w: api(f"dispatch/fleets/{w.b.fleet_id}/snapshot/"),
            deny=STAFF_ONLY,
            own=lambda w: api(f"dispatch/fleets/{w.a.fleet_id}/snapshot/"),
        )
    ),
    "dispatch-v1:routing-jobs": case(
        hidden(
            "get",
            lambda w: api(f"dispatch/fleets/{w.b.fleet_id}/routing-jobs/"),
            deny=STAFF_ONLY,
            own=lambda w: api(f"dispatch/fleets/{w.a.fleet_id}/routing-jobs/"),
        ),
        hidden(
            "post",
            lambda w: api(f"dispatch/fleets/{w.b.fleet_id}/routing-jobs/"),
            data={"seconds": 1},
            deny=STAFF_ONLY,
            unchanged=rows(RoutingJob, fleet_id=lambda w: w.b.fleet_id),
        ),
        refused(  # fleet A re-optimising from fleet B's plan
            "post",
            lambda w: api(f"dispatch/fleets/{w.a.fleet_id}/routing-jobs/"),
            lambda w: {"seconds": 1, "from_plan_id": str(w.b.plan.id)},
            actor=D,
            status=404,
            unchanged=rows(RoutingJob, fleet_id=lambda w: w.a.fleet_id),
        ),
    ),
    "dispatch-v1:routing-job": case(
        hidden(
            "get",
            lambda w: api(f"dispatch/routing-jobs/{w.b.job.id}/"),
            deny=STAFF_ONLY,
            own=lambda w: api(f"dispatch/routing-jobs/{w.a.job.id}/"),
        )
    ),
    "dispatch-v1:plans": case(
        hidden(
            "get",
            lambda w: api(f"dispatch/fleets/{w.b.fleet_id}/plans/"),
            deny=STAFF_ONLY,
            own=lambda w: api(f"dispatch/fleets/{w.a.fleet_id}/plans/"),
        )
    ),
    "dispatch-v1:plan": case(
        hidden(
            "get",
            lambda w: api(f"dispatch/plans/{w.b.plan.id}/"),
            deny=STAFF_ONLY,
            own=lambda w: api(f"dispatch/plans/{w.a.plan.id}/"),
        )
    ),
    "dispatch-v1:plan-accept": case(
        hidden(
            "post",
            lambda w: api(f"dispatch/plans/{w.b.plan.id}/accept/"),
            deny=STAFF_ONLY,
            unchanged=rows(RoutePlan, id=lambda w: w.b.plan.id),
        )
    ),
    "dispatch-v1:plan-insert": case(
        hidden(
            "post",
            lambda w: api(f"dispatch/plans/{w.b.plan.id}/insert/"),
            data=lambda w: {"trip_id": str(w.b.trip_open.id)},
            deny=STAFF_ONLY,
            unchanged=rows(RoutePlan, fleet_id=lambda w: w.b.fleet_id),
        ),
        refused(  # fleet B's trip into fleet A's plan
            "post",
            lambda w: api(f"dispatch/plans/{w.a.plan.id}/insert/"),
            lambda w: {"trip_id": str(w.b.trip_open.id)},
            actor=D,
            status=409,
            unchanged=both(rows(RoutePlan, fleet_id=lambda w: w.a.fleet_id), rows(Trip, id=lambda w: w.b.trip_open.id)),
        ),
    ),
    # identity
    "identity-v1:invitations": case(
        listing(
            api("identity/invitations/"),
            lambda w: [w.b.invitation.id],
            deny=MANAGERS_ONLY,
            own=lambda w: (M, [w.a.invitation.id]),
        ),
        hidden(
            "post",
            api("identity/invitations/"),
            data=lambda w: {"email": "sneak@example.test", "fleet_id": str(w.b.fleet_id), "role": "dispatcher"},
            deny=MANAGERS_ONLY,
            unchanged=rows(Invitation, fleet_id=lambda w: w.b.fleet_id),
        ),
    ),
    "identity-v1:invitation": case(
        hidden(
            "delete",
            lambda w: api(f"identity/invitations/{w.b.invitation.id}/"),
            deny=MANAGERS_ONLY,
            unchanged=rows(Invitation, id=lambda w: w.b.invitation.id),
        )
    ),
    "identity-v1:memberships": case(
        listing(
            api("identity/memberships/"),
            lambda w: [m.id for m in w.b.memberships],
            deny=MANAGERS_ONLY,
            params=lambda w: [{}, {"fleet_id": str(w.b.fleet_id)}, {"role": "driver"}],
            own=lambda w: (M, [m.id for m in w.a.memberships]),
        )
    ),
    "identity-v1:membership": case(
        hidden(
            "delete",
            lambda w: api(f"identity/memberships/{w.b.memberships[0].id}/"),
            deny=MANAGERS_ONLY,
            unchanged=rows(Membership, fleet_id=lambda w: w.b.fleet_id),
        )
    ),
    "identity-v1:user-deactivate": case(
        hidden(
            "post",
            lambda w: api(f"identity/users/{w.b.user(R).id}/deactivate/"),
            deny=NOBODY,
            unchanged=rows(User, id=lambda w: w.b.user(R).id),
        )
    ),
}


def _screen_check(world: World) -> None:
    """The screen takes its fleet from ?fleet=: naming fleet B shows the caller's own fleet instead."""
    for role in (M, D):
        client = Client()
        client.force_login(world.a.user(role))
        page = client.get("/dispatch/", {"fleet": str(world.b.fleet_id)})
        assert page.status_code == 200 and str(world.a.fleet_id) in page.content.decode()
        assert str(world.b.fleet_id) not in page.content.decode(), f"the dispatch screen shows fleet B to A's {role}"
    for user in (world.a.user(R), world.stranger):
        client = Client()
        client.force_login(user)
        assert client.get("/dispatch/", {"fleet": str(world.b.fleet_id)}).status_code == 403


REST_CASES["dispatch:screen"] = case(Check(method="get", check=_screen_check, paths=lambda w: ["/dispatch/"]))


# ---- routes that are not tenant-scoped: why, and a check that fits -------------------------------------------------


def _no_tenant_data(path: str, method: str = "get"):
    def check(world: World) -> None:
        response = getattr(Client(), method)(path)
        assert response.status_code in (200, 302), f"{path} -> {response.status_code}"
        body = b"".join(response.streaming_content) if response.streaming else response.content
        for fleet_id in (world.a.fleet_id, world.b.fleet_id):
            assert str(fleet_id).encode() not in body, f"{path} shows a fleet's id"

    return check


def _bearer(access: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client


def _login(world: World, role: str = D) -> dict:
    response = APIClient().post(
        api("auth/token/"),
        {"email": world.a.user(role).email, "password": "correct horse battery staple"},
        format="json",
    )
    assert response.status_code == 200, response.content
    return response.json()


def _token_check(world: World) -> None:
    access = _login(world)["access"]
    assert _bearer(access).get(api(f"trips/trips/{world.a.trip_open.id}/")).status_code == 200
    expect_problem(_bearer(access).get(api(f"trips/trips/{world.b.trip_open.id}/")), 404, "B's trip with A's token")


def _refresh_check(world: World) -> None:
    pair = APIClient().post(api("auth/token/refresh/"), {"refresh": _login(world)["refresh"]}, format="json").json()
    assert AccessToken(pair["access"])[jwt_settings.USER_ID_CLAIM] == str(world.a.user(D).id)
    expect_problem(_bearer(pair["access"]).get(api(f"dispatch/plans/{world.b.plan.id}/")), 404, "B's plan")


def _logout_check(world: World) -> None:
    mine, theirs = _login(world, D), _login(world, M)
    assert APIClient().post(api("auth/logout/"), {"refresh": mine["refresh"]}, format="json").status_code == 204
    again = APIClient().post(api("auth/token/refresh/"), {"refresh": theirs["refresh"]}, format="json")
    assert again.status_code == 200, "logging one login out ended another"


def _register_check(world: World) -> None:
    created = APIClient().post(
        api("identity/register/"),
        {"email": "new.customer@example.test", "password": "a long enough passphrase", "display_name": "New"},
        format="json",
    )
    assert created.status_code == 201, created.content
    client = APIClient()
    client.force_authenticate(User.objects.get(id=created.json()["id"]))
    assert client.get(api("identity/me/")).json()["memberships"] == []
    assert client.get(api("trips/trips/")).json()["count"] == 0
    assert client.get(api("fleet/fleets/")).json()["count"] == 0


def _reset_check(world: World) -> None:
    known = APIClient().post(api("identity/password-reset/"), {"email": world.b.user(M).email}, format="json")
    unknown = APIClient().post(api("identity/password-reset/"), {"email": "nobody@example.test"}, format="json")
    assert (known.status_code, known.content) == (unknown.status_code, unknown.content) == (202, b"")


def _reset_confirm_check(world: World) -> None:
    before = list(User.objects.filter(id=world.b.user(M).id).values("password"))
    response = APIClient().post(
        api("identity/password-reset/confirm/"),
        {"token": "made-up", "new_password": "a takeover attempt"},
        format="json",
    )
    expect_problem(response, 400, "a made-up reset token")
    assert list(User.objects.filter(id=world.b.user(M).id).values("password")) == before


def _accept_check(world: World) -> None:
    response = APIClient().post(
        api("identity/invitations/accept/"), {"token": "made-up", "password": "a fine passphrase"}, format="json"
    )
    assert expect_problem(response, 400, "a made-up invitation token")["code"] == "identity.invitation_invalid"
    assert Invitation.objects.get(id=world.b.invitation.id).accepted_at is None


def _me_check(world: World) -> None:
    for role in (M, D, R):
        client = world.clients[role]
        body = client.get(api("identity/me/")).json()
        assert {m["fleet_id"] for m in body["memberships"]} == {str(world.a.fleet_id)}
        sneaky = client.patch(api("identity/me/"), {"user_id": str(world.b.user(role).id)}, format="json")
        expect_problem(sneaky, 400, "PATCH me naming another user")


def _password_change_check(world: World) -> None:
    response = world.clients[M].post(
        api("identity/me/password/"),
        {"old_password": "x", "new_password": "a new passphrase", "user_id": str(world.b.user(M).id)},
        format="json",
    )
    expect_problem(response, 400, "a password change naming another user")


def _export_check(world: World) -> None:
    body = world.clients[M].get(api("identity/me/export/")).content.decode()
    assert str(world.a.fleet_id) in body and str(world.b.fleet_id) not in body
    assert world.b.user(M).email not in body


def _balance_check(world: World) -> None:
    assert world.clients[C].get(api("billing/balance/")).json() == {"prepaid": {}, "owed": {}, "loyalty_points": 0}
    for role in FLEET_ROLES:
        expect_problem(world.clients[role].get(api("billing/balance/")), 403, f"balance as {role}")


def _customer_money_check(path: str, body: dict):
    def check(world: World) -> None:
        sneaky = world.clients[C].post(
            api(path), {**body, "request_id": str(uuid.uuid4()), "customer_id": str(world.b.customer.id)}, format="json"
        )
        expect_problem(sneaky, 400, f"{path} naming another customer")
        for role in FLEET_ROLES:
            response = world.clients[role].post(api(path), {**body, "request_id": str(uuid.uuid4())}, format="json")
            expect_problem(response, 403, f"{path} as {role}")
        assert JournalTransaction.objects.filter(reference_id=world.b.customer.id).count() == 1  # its one top-up

    return check


def _track_check(world: World) -> None:
    page = APIClient().get(api(f"trips/track/{world.b.tracking_token}/"))
    assert page.status_code == 200
    text = page.content.decode()
    for secret in (world.b.fleet_id, world.b.customer.id, world.b.trip_done.id, world.b.driver.id):
        assert str(secret) not in text, "a tracking page shows an id"
    expect_problem(APIClient().get(api(f"trips/track/{world.b.tracking_token[:-2]}xx/")), 404, "a guessed token")


def _admin_check(world: World) -> None:
    client = Client()
    client.force_login(world.a.user(M))
    for model, attr in [
        ("fleet/vehicle", "van"),
        ("fleet/fleet", "fleet"),
        ("partner/driverprofile", "driver"),
        ("trips/trip", "trip_open"),
        ("trips/shift", "shift"),
        ("billing/payout", "payout"),
        ("identity/invitation", "invitation"),
    ]:
        own, other = getattr(world.a, attr).id, getattr(world.b, attr).id
        page = client.get(f"/admin/{model}/")  # before the change page, whose "doesn't exist" note echoes the id
        assert page.status_code == 200 and str(own) in page.content.decode(), f"{model}: fleet A's own row missing"
        assert str(other) not in page.content.decode(), f"the admin's {model} list shows fleet B's row"
        change = client.get(f"/admin/{model}/{other}/change/")
        assert change.status_code == 302 and change["Location"] == "/admin/", f"{model} of fleet B opens in the admin"


EXEMPT = {
    "home": Exempt("redirects to the dispatch screen; no data", _no_tenant_data("/")),
    "healthz": Exempt("process liveness; no data", _no_tenant_data("/healthz")),
    "readyz": Exempt("reachability of PostgreSQL and Redis; no data", _no_tenant_data("/readyz")),
    "metrics": Exempt(
        "process-wide Prometheus counters, labelled by route, never by fleet", _no_tenant_data("/metrics")
    ),
    "schema": Exempt("the OpenAPI document: the same for everyone", _no_tenant_data("/api/schema/")),
    "api-docs": Exempt("the docs page around the schema", _no_tenant_data("/api/docs/")),
    "api-redoc": Exempt("the docs page around the schema", _no_tenant_data("/api/redoc/")),
    "partner-v1:document-types": Exempt(
        "what each KYC document type needs, as the schema says it: the same for everyone",
        _no_tenant_data("/api/v1/partner/document-types/"),
        "apps/partner/tests/test_kyc_schema.py",
    ),
    "identity:login": Exempt(
        "session sign-in form; credentials name a user, not a fleet",
        _no_tenant_data("/login/"),
        "tests/integration/test_dispatch_screen_access.py",
    ),
    "identity:logout": Exempt(
        "ends the caller's own session",
        _no_tenant_data("/logout/", "post"),
        "tests/integration/test_dispatch_screen_access.py",
    ),
    "auth-v1:token": Exempt(
        "credentials in, the caller's own tokens out; a token reaches only its user's fleets",
        _token_check,
        "apps/identity/tests/test_auth_api.py",
    ),
    "auth-v1:token-refresh": Exempt(
        "rotates the presented refresh token for its own user", _refresh_check, "apps/identity/tests/test_auth_api.py"
    ),
    "auth-v1:logout": Exempt(
        "revokes the presented refresh token's own login", _logout_check, "apps/identity/tests/test_auth_api.py"
    ),
    "identity-v1:register": Exempt(
        "opens a customer account, which belongs to no fleet",
        _register_check,
        "apps/identity/tests/test_accounts_api.py",
    ),
    "identity-v1:password-reset": Exempt(
        "anonymous; the same answer whether or not an account exists",
        _reset_check,
        "apps/identity/tests/test_accounts_api.py",
    ),
    "identity-v1:password-reset-confirm": Exempt(
        "the emailed token names the account", _reset_confirm_check, "apps/identity/tests/test_accounts_api.py"
    ),
    "identity-v1:invitation-accept": Exempt(
        "the emailed token names the invitation", _accept_check, "apps/identity/tests/test_fleet_access_api.py"
    ),
    "identity-v1:me": Exempt("the caller's own account", _me_check, "apps/identity/tests/test_accounts_api.py"),
    "identity-v1:password-change": Exempt(
        "the caller's own password", _password_change_check, "apps/identity/tests/test_accounts_api.py"
    ),
    "identity-v1:export": Exempt("the caller's own data (GDPR)", _export_check, "apps/identity/tests/test_erasure.py"),
    "billing-v1:balance": Exempt(
        "the calling customer's own balance", _balance_check, "tests/integration/test_billing_api.py"
    ),
    "billing-v1:topups": Exempt(
        "money into the calling customer's own balance",
        _customer_money_check("billing/topups/", {"amount_minor": 100, "currency": "EUR"}),
        "tests/integration/test_billing_api.py",
    ),
    "billing-v1:points-redeem": Exempt(
        "the calling customer's own loyalty points",
        _customer_money_check("billing/points/redeem/", {"points": 1, "currency": "EUR"}),
        "tests/integration/test_billing_api.py",
    ),
    "trips-v1:track": Exempt(
        "public by design: the unguessable token is the key; it shows progress and no ids or personal data",
        _track_check,
        "tests/integration/test_trip_flow.py",
    ),
}
# The admin is scoped per fleet by its own ModelAdmins; their tests: apps/fleet/tests/test_isolation_and_admin.py,
# apps/partner/tests/test_import_isolation_admin.py, apps/identity/tests/test_admin.py,
# tests/integration/test_trip_flow.py and tests/integration/test_billing_api.py. The check here opens fleet B's
# rows as fleet A's manager.
EXEMPT_NAMESPACES = {"admin": Exempt("Django admin, scoped per fleet by its ModelAdmins", _admin_check)}


# ---- the walker -----------------------------------------------------------------------------------------------------


def test_every_route_has_an_isolation_case_or_an_exemption():
    rest = rest_routes()
    sockets = websocket_routes()
    missing, uncovered = [], []
    for route in rest:
        if route.key.split(":", 1)[0] in EXEMPT_NAMESPACES or route.key in EXEMPT:
            continue
        if route.key not in REST_CASES:
            missing.append(f"{route.key} (/{route.pattern})")
        elif set(route.methods) - REST_CASES[route.key].methods():
            uncovered.append(f"{route.key}: {sorted(set(route.methods) - REST_CASES[route.key].methods())}")
    missing += [f"websocket {r.key}" for r in sockets if r.key not in WS_CASES and r.key not in EXEMPT]
    assert not missing, (
        "routes without a tenant-isolation case: add one to REST_CASES / WS_CASES in "
        f"tests/integration/test_tenant_isolation_matrix.py (docs/development.md says how): {missing}"
    )
    assert not uncovered, (
        f"view methods no isolation probe covers (probe them or say why in exempt_methods): {uncovered}"
    )
    known = {r.key for r in rest} | {r.key for r in sockets}
    stale = (set(REST_CASES) | set(EXEMPT) | set(WS_CASES)) - known
    assert not stale, f"isolation cases for routes that no longer exist: {sorted(stale)}"
    assert not set(REST_CASES) & set(EXEMPT), "a route is either checked or exempt"
    assert all(e.check is not None and e.reason for e in [*EXEMPT.values(), *EXEMPT_NAMESPACES.values()])
    assert sockets and len(sockets) == len(WS_CASES)


# ---- the REST matrix: one world for the class, each test in its own savepoint -------------------------------------


@pytest.fixture(scope="class")
def world(django_db_setup, django_db_blocker):
    """Built once: an outer transaction holds it, every test runs (and rolls back) in a savepoint inside it."""
    from apps.dispatch import live

    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            built = build_world()
        except BaseException:
            outer.__exit__(None, None, None)
            raise
    try:
        yield built
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
        live.store().clear()  # positions and feed sequences live in Redis, outside the transaction


@pytest.mark.django_db
class TestTenantIsolation:
    @pytest.mark.parametrize("key", sorted(REST_CASES))
    def test_fleet_b_is_invisible_on(self, world, key):
        for probe in REST_CASES[key].probes:
            for path in probe.paths(world):
                assert route_name(path) == key, f"{path} is not a path of {key}"
            probe.run(world)

    @pytest.mark.parametrize("key", sorted(EXEMPT) + sorted(f"{ns}:*" for ns in EXEMPT_NAMESPACES))
    def test_exempt_route_still_keeps_tenants_apart(self, world, key):
        exemption = EXEMPT.get(key) or EXEMPT_NAMESPACES[key.split(":", 1)[0]]
        exemption.check(world)


# ---- websockets: the consumers run on the real channel layer, so these commit ------------------------------------


def _connect(path: str, user: User | None):
    async def attempt():
        url = f"{path}{'&' if '?' in path else '?'}token={AccessToken.for_user(user)}" if user else path
        communicator = WebsocketCommunicator(_asgi(), url)
        connected, code = await communicator.connect()
        first = await communicator.receive_json_from(timeout=3) if connected else None
        if connected:
            await communicator.disconnect()
        return connected, code, first

    return async_to_sync(attempt)()


def _asgi():
    from config.asgi import application

    return application


@pytest.fixture
def socket_fleets(two_fleets, relay_and_deliver, live_store):
    active_fleet(fleet_id=two_fleets.a.fleet_id, name="Alpha")
    active_fleet(fleet_id=two_fleets.b.fleet_id, name="Bravo")
    relay_and_deliver()  # the drivers' profiles
    return two_fleets


def _dispatch_feed(fleets) -> None:
    """Fleet B's screen feed refuses every role of fleet A before accepting; their own fleet's feed opens."""
    feed_b = f"/ws/dispatch/fleets/{fleets.b.fleet_id}/"
    for role in (M, D, R):
        connected, code, _ = _connect(feed_b, fleets.a.users[role])
        assert (connected, code) == (False, CLOSE_FORBIDDEN), f"fleet B's feed let fleet A's {role} in"
    assert _connect(feed_b, fleets.customer)[:2] == (False, CLOSE_FORBIDDEN)
    assert _connect(feed_b, None)[:2] == (False, CLOSE_UNAUTHENTICATED)
    connected, _, snapshot = _connect(f"/ws/dispatch/fleets/{fleets.a.fleet_id}/", fleets.a.users[D])
    assert connected and snapshot["type"] == "snapshot" and snapshot["fleet_id"] == str(fleets.a.fleet_id)


def _driver_socket(fleets) -> None:
    """Only the driver themself, and only for a fleet they drive for."""
    own = DriverProfile.objects.get(user_id=fleets.a.users[R].id)
    connected, code, _ = _connect(f"/ws/driver/?fleet_id={fleets.b.fleet_id}", fleets.a.users[R])
    assert (connected, code) == (False, CLOSE_FORBIDDEN), "a driver connected for a fleet they do not drive for"
    for user in (fleets.a.users[M], fleets.a.users[D], fleets.customer):
        assert _connect("/ws/driver/", user)[:2] == (False, CLOSE_FORBIDDEN)
    assert _connect("/ws/driver/", None)[:2] == (False, CLOSE_UNAUTHENTICATED)
    connected, _, hello = _connect("/ws/driver/", fleets.a.users[R])
    assert connected and hello == {"type": "hello", "driver_id": str(own.id), "fleet_id": str(fleets.a.fleet_id)}


WS_CASES = {
    "ws/dispatch/fleets/<str:fleet_id>/": _dispatch_feed,
    "ws/driver/": _driver_socket,
}


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("route", sorted(WS_CASES))
def test_websocket_route_keeps_fleets_apart(socket_fleets, route):
    WS_CASES[route](socket_fleets)
