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
import re
import uuid

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.urls import URLResolver, get_resolver, resolve
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.tokens import AccessToken

from apps.billing.models import Account, FareRecord, JournalTransaction, Payout, Quote, Tariff, TaxRate, TopUp
from apps.dispatch.models import PositionPing, RoutePlan, RoutingJob
from apps.fleet.models import Fleet, MaintenanceWindow, Vehicle, VehicleDocument
from apps.fleet.tests.factories import active_fleet
from apps.identity.models import ApiKey, Invitation, Membership, ServiceAccount, User
from apps.notifications.models import PushSubscription, WebhookDelivery, WebhookEndpoint
from apps.partner.models import (
    AvailabilityException,
    AvailabilityWindow,
    BackgroundCheck,
    DriverProfile,
    DrivingLicence,
    IdentityDocument,
    KycDocument,
)
from apps.partner.tests.factories import JPEG, pdf
from apps.trips.models import Offer, Shift, Trip
from logitrack.http.principal import required_scope
from logitrack.realtime import CLOSE_FORBIDDEN, CLOSE_NOT_FOUND, CLOSE_UNAUTHENTICATED
from logitrack.testing import databases
from logitrack.testing.realtime import admitted_or_closed
from tests.support.isolation_admin import (
    AdminProbe,
    Extra,
    ListExtra,
    admin_case,
    admin_routes,
    label,
    platform_only,
    registry,
    standard_routes,
)
from tests.support.isolation_matrix import (
    KEY,
    PICKUP,
    Check,
    Exempt,
    World,
    both,
    build_world,
    case,
    expect_problem,
    hidden,
    key_probe,
    listing,
    refused,
    request,
    rest_routes,
    route_name,
    rows,
    snapshot,
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
    "billing-v1:topups": case(
        listing(
            api("billing/topups/"),
            lambda w: [w.b.topup.id, w.b.pending_topup.id],
            deny={M, D, R},
            params=lambda w: [{}, {"status": "pending"}, {"status": "confirmed"}],
        ),
        Check("post", lambda w: _topup_request_check(w), lambda w: [api("billing/topups/")]),  # noqa: PLW0108 (defined below)
    ),
    "billing-v1:topup": case(
        hidden("get", lambda w: api(f"billing/topups/{w.b.topup.id}/"), deny={M, D, R}),
    ),
    "billing-v1:topup-cancel": case(
        hidden(
            "post",
            lambda w: api(f"billing/topups/{w.b.pending_topup.id}/cancel/"),
            deny={M, D, R},
            unchanged=rows(TopUp, id=lambda w: w.b.pending_topup.id),
        ),
    ),
    "billing-v1:topup-confirm": case(
        hidden(
            "post",
            lambda w: api(f"billing/topups/{w.b.pending_topup.id}/confirm/"),
            data=lambda w: {"amount_minor": 2500, "currency": w.b.fleet.currency, "reference": "BANK-1"},
            deny=NOBODY,
            unchanged=both(
                rows(TopUp, id=lambda w: w.b.pending_topup.id),
                rows(JournalTransaction, reference_id=lambda w: w.b.pending_topup.id),
            ),
        ),
    ),
    "billing-v1:invoices": case(
        listing(
            api("billing/invoices/"),
            lambda w: [w.b.invoice.id],
            deny={D, R},
            params=lambda w: [
                {},
                {"kind": "receipt"},
                {"fleet_id": str(w.b.fleet_id)},
                {"trip_id": str(w.b.trip_done.id)},
            ],
            own=lambda w: (M, [w.a.invoice.id]),
        )
    ),
    "billing-v1:invoice-pdf": case(
        hidden("get", lambda w: api(f"billing/invoices/{w.b.invoice.id}/pdf/"), deny={D, R}),
    ),
    "billing-v1:tariffs": case(
        listing(
            api("billing/tariffs/"),
            lambda w: [_tariff_of(w.b).id],
            deny=MANAGERS_ONLY,
            params=lambda w: [{}, {"fleet_id": str(w.b.fleet_id)}, {"current": "true"}, {"service": "delivery"}],
            own=lambda w: (M, [_tariff_of(w.a).id]),
        ),
        hidden(
            "post",
            api("billing/tariffs/"),
            data=lambda w: {
                "fleet_id": str(w.b.fleet_id),
                "name": "Sneaky",
                "currency": w.b.fleet.currency,
                "default_tax_id": str(_tax(w.b).id),
                "valid_from": "2031-01-01T00:00:00Z",
                "components": [{"kind": "base_fare", "amount_minor": 1}],
            },
            deny=MANAGERS_ONLY,
            unchanged=rows(Tariff, fleet_id=lambda w: w.b.fleet_id),
        ),
    ),
    "billing-v1:tariff": case(
        hidden(
            "get",
            lambda w: api(f"billing/tariffs/{_tariff_of(w.b).id}/"),
            deny=MANAGERS_ONLY,
            own=lambda w: api(f"billing/tariffs/{_tariff_of(w.a).id}/"),
        )
    ),
    "billing-v1:tariff-versions": case(
        hidden(
            "post",
            lambda w: api(f"billing/tariffs/{_tariff_of(w.b).id}/versions/"),
            data={"name": "pwned"},
            deny=MANAGERS_ONLY,
            unchanged=rows(Tariff, fleet_id=lambda w: w.b.fleet_id),
        )
    ),
    "billing-v1:tariff-retire": case(
        hidden(
            "post",
            lambda w: api(f"billing/tariffs/{_tariff_of(w.b).id}/retire/"),
            deny=MANAGERS_ONLY,
            unchanged=rows(Tariff, fleet_id=lambda w: w.b.fleet_id),
        )
    ),
    "billing-v1:tax-rates": case(
        listing(
            api("billing/tax-rates/"),
            lambda w: TaxRate.objects.filter(fleet_id=w.b.fleet_id).values_list("id", flat=True),
            deny=MANAGERS_ONLY,
            own=lambda w: (M, TaxRate.objects.filter(fleet_id=w.a.fleet_id).values_list("id", flat=True)),
        ),
        hidden(
            "post",
            api("billing/tax-rates/"),
            data=lambda w: {"fleet_id": str(w.b.fleet_id), "name": "Sneaky", "rate_bps": 1},
            deny=MANAGERS_ONLY,
            unchanged=rows(TaxRate, fleet_id=lambda w: w.b.fleet_id),
        ),
    ),
    "billing-v1:tax-rate": case(
        hidden(
            "get",
            lambda w: api(f"billing/tax-rates/{_tax(w.b).id}/"),
            deny=MANAGERS_ONLY,
            own=lambda w: api(f"billing/tax-rates/{_tax(w.a).id}/"),
        ),
        hidden(
            "patch",
            lambda w: api(f"billing/tax-rates/{_tax(w.b).id}/"),
            data={"rate_bps": 1},
            deny=MANAGERS_ONLY,
            unchanged=rows(TaxRate, fleet_id=lambda w: w.b.fleet_id),
        ),
        hidden(
            "delete",
            lambda w: api(f"billing/tax-rates/{_tax(w.b).id}/"),
            deny=MANAGERS_ONLY,
            unchanged=rows(TaxRate, fleet_id=lambda w: w.b.fleet_id),
        ),
    ),
    # trips
    "trips-v1:trips": case(
        listing(
            api("trips/trips/"),
            lambda w: w.b.trip_ids,
            params=lambda w: [
                {},
                {"fleet_id": str(w.b.fleet_id)},
                {"status": "requested"},
                {"search": str(w.b.trip_open.id)[:8]},
            ],
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
    "trips-v1:trip-unassign": case(
        hidden(
            "post",
            lambda w: api(f"trips/trips/{w.b.trip_open.id}/unassign/"),
            data={"reason": "x"},
            headers={"HTTP_IF_MATCH": V1},
            deny=STAFF_ONLY,
            unchanged=rows(Trip, id=lambda w: w.b.trip_open.id),
        )
    ),
    "trips-v1:fleet-customers": case(
        hidden(
            "get",
            lambda w: api(f"trips/fleets/{w.b.fleet_id}/customers/?q=customer"),
            deny=STAFF_ONLY,
            own=lambda w: api(f"trips/fleets/{w.a.fleet_id}/customers/?q=customer"),
        )
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
            deny={C},  # its driver or its fleet's staff
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
    "dispatch-v1:trip-candidates": case(
        hidden(
            "get",
            lambda w: api(f"dispatch/trips/{w.b.trip_open.id}/candidates/"),
            deny=STAFF_ONLY,
            own=lambda w: api(f"dispatch/trips/{w.a.trip_open.id}/candidates/"),
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
    "identity-v1:service-accounts": case(
        listing(
            api("identity/service-accounts/"),
            lambda w: [w.b.service_account.id],
            deny=MANAGERS_ONLY,
            params=lambda w: [{}],
            own=lambda w: (M, [w.a.service_account.id]),
        ),
        hidden(
            "post",
            api("identity/service-accounts/"),
            data=lambda w: {"fleet_id": str(w.b.fleet_id), "name": "Sneaky connector"},
            deny=MANAGERS_ONLY,
            unchanged=rows(ServiceAccount, fleet_id=lambda w: w.b.fleet_id),
        ),
    ),
    "identity-v1:service-account": case(
        hidden(
            "get",
            lambda w: api(f"identity/service-accounts/{w.b.service_account.id}/"),
            deny=MANAGERS_ONLY,
            own=lambda w: api(f"identity/service-accounts/{w.a.service_account.id}/"),
        ),
        hidden(
            "delete",
            lambda w: api(f"identity/service-accounts/{w.b.service_account.id}/"),
            deny=MANAGERS_ONLY,
            unchanged=both(
                rows(ServiceAccount, fleet_id=lambda w: w.b.fleet_id),
                rows(ApiKey, service_account__fleet_id=lambda w: w.b.fleet_id),
            ),
        ),
    ),
    "identity-v1:api-keys": case(
        hidden(
            "get",
            lambda w: api(f"identity/service-accounts/{w.b.service_account.id}/keys/"),
            deny=MANAGERS_ONLY,
            own=lambda w: api(f"identity/service-accounts/{w.a.service_account.id}/keys/"),
        ),
        hidden(
            "post",
            lambda w: api(f"identity/service-accounts/{w.b.service_account.id}/keys/"),
            data={"scopes": ["trips:read"]},
            deny=MANAGERS_ONLY,
            unchanged=rows(ApiKey, service_account__fleet_id=lambda w: w.b.fleet_id),
        ),
    ),
    "identity-v1:api-key": case(
        hidden(
            "delete",
            lambda w: api(f"identity/service-accounts/{w.b.service_account.id}/keys/{w.b.api_key.id}/"),
            deny=MANAGERS_ONLY,
            unchanged=rows(ApiKey, service_account__fleet_id=lambda w: w.b.fleet_id),
        ),
        refused(  # fleet A's account with fleet B's key: no such key of that account
            "delete",
            lambda w: api(f"identity/service-accounts/{w.a.service_account.id}/keys/{w.b.api_key.id}/"),
            None,
            actor=M,
            status=404,
            unchanged=rows(ApiKey, service_account__fleet_id=lambda w: w.b.fleet_id),
        ),
    ),
    "identity-v1:api-key-rotate": case(
        hidden(
            "post",
            lambda w: api(f"identity/service-accounts/{w.b.service_account.id}/keys/{w.b.api_key.id}/rotate/"),
            deny=MANAGERS_ONLY,
            unchanged=rows(ApiKey, service_account__fleet_id=lambda w: w.b.fleet_id),
        ),
    ),
    "identity-v1:user-deactivate": case(
        hidden(
            "post",
            lambda w: api(f"identity/users/{w.b.user(R).id}/deactivate/"),
            deny=NOBODY,
            unchanged=rows(User, id=lambda w: w.b.user(R).id),
        )
    ),
    "identity-v1:user-erase": case(
        hidden(
            "post",
            lambda w: api(f"identity/users/{w.b.user(R).id}/erase/"),
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


# ---- notifications: push subscriptions belong to a user (a driver), not a fleet: each sees and removes only theirs --


def _push_subscription(user_id) -> PushSubscription:
    return PushSubscription.objects.create(
        user_id=user_id,
        endpoint=f"https://fcm.googleapis.com/fcm/send/{uuid.uuid4().hex}",
        p256dh="BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1XbjhazAkj7I99e8QcYP7DkM",
        auth="tBHItJI5svbpez7KI4CCXg",
    )


def _browser_subscription() -> dict:
    return {
        "endpoint": f"https://fcm.googleapis.com/fcm/send/{uuid.uuid4().hex}",
        "keys": {
            "p256dh": "BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1XbjhazAkj7I99e8QcYP7DkM",
            "auth": "tBHItJI5svbpez7KI4CCXg",
        },
    }


def _push_subscriptions_check(world: World) -> None:
    theirs = _push_subscription(world.b.user(R).id)
    url = api("notifications/push/subscriptions/")
    for actor in (M, D, C):
        expect_problem(world.clients[actor].get(url), 403, f"GET {url} as fleet A's {actor}")
        response = world.clients[actor].post(url, _browser_subscription(), format="json")
        expect_problem(response, 403, f"POST {url} as fleet A's {actor}")
    listed = world.clients[R].get(url, {"fleet_id": str(world.b.fleet_id)})
    assert listed.status_code == 200 and str(theirs.id) not in listed.content.decode()
    mine = world.clients[R].post(url, _browser_subscription(), format="json")
    assert mine.status_code == 201 and mine.json()["id"] in world.clients[R].get(url).content.decode()
    assert PushSubscription.objects.get(id=mine.json()["id"]).user_id == world.a.user(R).id
    assert PushSubscription.objects.get(id=theirs.id).user_id == world.b.user(R).id


def _push_subscription_check(world: World) -> None:
    theirs = _push_subscription(world.b.user(R).id)
    url = api(f"notifications/push/subscriptions/{theirs.id}/")
    expect_problem(world.clients[R].delete(url), 404, f"DELETE {url} (fleet B's driver's) as fleet A's driver")
    for actor in (M, D, C):
        expect_problem(world.clients[actor].delete(url), 403, f"DELETE {url} as fleet A's {actor}")
    assert PushSubscription.objects.filter(id=theirs.id).exists()


REST_CASES["notifications-v1:push-subscriptions"] = case(
    Check("get", _push_subscriptions_check, lambda w: [api("notifications/push/subscriptions/")]),
    Check("post", _push_subscriptions_check, lambda w: [api("notifications/push/subscriptions/")]),
)
REST_CASES["notifications-v1:push-subscription"] = case(
    Check("delete", _push_subscription_check, lambda w: [api(f"notifications/push/subscriptions/{uuid.uuid4()}/")])
)


# ---- webhooks for integrators (apps/notifications): a fleet's managers, their fleets' endpoints and deliveries ------

HOOKS = "notifications/webhooks/"


def _webhook_event_types_check(world: World) -> None:
    """The catalogue of event types is the same for every fleet's manager and names no fleet; other roles get 403."""
    for side in (world.a, world.b):
        response = side.tenant.client(M).get(api(f"{HOOKS}event-types/"))
        assert response.status_code == 200 and "trip.completed" in response.content.decode()
        for fleet_id in (world.a.fleet_id, world.b.fleet_id):
            assert str(fleet_id) not in response.content.decode()
    for role in (D, R):
        expect_problem(world.clients[role].get(api(f"{HOOKS}event-types/")), 403, f"event types as A's {role}")


def _webhook_replay_range_check(world: World) -> None:
    """Replaying a time range without naming a fleet reopens only the caller's fleets' deliveries."""
    before = snapshot(rows(WebhookDelivery, fleet_id=lambda w: w.b.fleet_id)(world))
    now = timezone.now()
    window = {"since": (now - dt.timedelta(days=1)).isoformat(), "until": (now + dt.timedelta(minutes=1)).isoformat()}
    response = world.clients[M].post(api(f"{HOOKS}deliveries/replay/"), window, format="json")
    assert response.status_code == 202, response.content
    assert snapshot(rows(WebhookDelivery, fleet_id=lambda w: w.b.fleet_id)(world)) == before
    WebhookDelivery.objects.filter(id=world.a.webhook_delivery.id).update(status="dead", claim=None, claimed_until=None)


_B_ENDPOINT = rows(WebhookEndpoint, id=lambda w: w.b.webhook_endpoint.id)
_B_DELIVERY = rows(WebhookDelivery, id=lambda w: w.b.webhook_delivery.id)
REST_CASES.update(
    {
        "notifications-v1:webhook-event-types": case(
            Check(method="get", check=_webhook_event_types_check, paths=lambda w: [api(f"{HOOKS}event-types/")])
        ),
        "notifications-v1:webhook-endpoints": case(
            listing(
                api(f"{HOOKS}endpoints/"),
                lambda w: [w.b.webhook_endpoint.id],
                deny=MANAGERS_ONLY,
                own=lambda w: (M, [w.a.webhook_endpoint.id]),
            ),
            hidden(
                "post",
                api(f"{HOOKS}endpoints/"),
                data=lambda w: {
                    "fleet_id": str(w.b.fleet_id),
                    "url": "http://127.0.0.1:9/sneak",
                    "event_types": ["trip.completed"],
                },
                deny=MANAGERS_ONLY,
                unchanged=rows(WebhookEndpoint, fleet_id=lambda w: w.b.fleet_id),
            ),
        ),
        "notifications-v1:webhook-endpoint": case(
            hidden(
                "get",
                lambda w: api(f"{HOOKS}endpoints/{w.b.webhook_endpoint.id}/"),
                deny=MANAGERS_ONLY,
                own=lambda w: api(f"{HOOKS}endpoints/{w.a.webhook_endpoint.id}/"),
            ),
            hidden(
                "patch",
                lambda w: api(f"{HOOKS}endpoints/{w.b.webhook_endpoint.id}/"),
                data={"url": "http://127.0.0.1:9/pwned"},
                deny=MANAGERS_ONLY,
                unchanged=_B_ENDPOINT,
            ),
            hidden(
                "delete",
                lambda w: api(f"{HOOKS}endpoints/{w.b.webhook_endpoint.id}/"),
                deny=MANAGERS_ONLY,
                unchanged=_B_ENDPOINT,
            ),
        ),
        "notifications-v1:webhook-endpoint-rotate-secret": case(
            hidden(
                "post",
                lambda w: api(f"{HOOKS}endpoints/{w.b.webhook_endpoint.id}/rotate-secret/"),
                deny=MANAGERS_ONLY,
                unchanged=_B_ENDPOINT,
            )
        ),
        "notifications-v1:webhook-endpoint-ping": case(
            hidden(
                "post",
                lambda w: api(f"{HOOKS}endpoints/{w.b.webhook_endpoint.id}/ping/"),
                deny=MANAGERS_ONLY,
                unchanged=rows(WebhookDelivery, endpoint_id=lambda w: w.b.webhook_endpoint.id),
            )
        ),
        "notifications-v1:webhook-deliveries": case(
            listing(
                api(f"{HOOKS}deliveries/"),
                lambda w: [w.b.webhook_delivery.id],
                deny=MANAGERS_ONLY,
                own=lambda w: (M, [w.a.webhook_delivery.id]),
            )
        ),
        "notifications-v1:webhook-delivery": case(
            hidden(
                "get",
                lambda w: api(f"{HOOKS}deliveries/{w.b.webhook_delivery.id}/"),
                deny=MANAGERS_ONLY,
                own=lambda w: api(f"{HOOKS}deliveries/{w.a.webhook_delivery.id}/"),
            )
        ),
        "notifications-v1:webhook-delivery-replay": case(
            hidden(
                "post",
                lambda w: api(f"{HOOKS}deliveries/{w.b.webhook_delivery.id}/replay/"),
                deny=MANAGERS_ONLY,
                unchanged=_B_DELIVERY,
            )
        ),
        "notifications-v1:webhook-deliveries-replay": case(
            hidden(
                "post",
                api(f"{HOOKS}deliveries/replay/"),
                data=lambda w: {
                    "fleet_id": str(w.b.fleet_id),
                    "since": "2020-01-01T00:00:00Z",
                    "until": "2100-01-01T00:00:00Z",
                },
                deny=MANAGERS_ONLY,
                unchanged=rows(WebhookDelivery, fleet_id=lambda w: w.b.fleet_id),
            ),
            Check(
                method="post",
                check=_webhook_replay_range_check,
                paths=lambda w: [api(f"{HOOKS}deliveries/replay/")],
            ),
        ),
    }
)


# ---- routes that are not tenant-scoped: why, and a check that fits -------------------------------------------------


def _no_tenant_data(path: str, method: str = "get"):
    def check(world: World) -> None:
        response = getattr(Client(), method)(path)
        assert response.status_code in (200, 302), f"{path} -> {response.status_code}"
        body = b"".join(response.streaming_content) if response.streaming else response.content
        for fleet_id in (world.a.fleet_id, world.b.fleet_id):
            assert str(fleet_id).encode() not in body, f"{path} shows a fleet's id"

    return check


def _internal_check(world: World) -> None:
    """The contexts' calls for each other's processes (billing's for the platform, fleet's, partner's and identity's
    for billing run apart) take that context's service credential only: no fleet user's token reaches them, and one
    context's credential does not open another's."""
    from django.test import override_settings

    asked = {  # a call of each about fleet B's data
        "billing": ("trip_fares", {"trips": [[str(world.b.trip_done.id), None]]}),
        "fleet": ("fleet_get", {"fleet_id": str(world.b.fleet_id)}),
        "partner": ("drivers_get", {"driver_ids": [str(world.b.driver.id)]}),
        "identity": ("user_contact_get", {"user_id": str(world.b.customer.id)}),
    }
    for service, (call, body) in asked.items():
        path = f"/internal/{service}/{call}/"
        expect_problem(APIClient().post(path, body, format="json"), 404, f"{service}: no tokens, no such route")
        tokens = {f"{other.upper()}_SERVICE_TOKENS": [f"{other}-service-token"] for other in asked}
        with override_settings(**tokens):
            expect_problem(APIClient().post(path, body, format="json"), 401, f"{service}: anonymous")
            for role, client in world.clients.items():  # however the client signs in: refused, never answered
                response = client.post(path, body, format="json")
                assert response.status_code in (401, 403), f"{service}, {role}: {response.status_code}"
                assert response.json()["code"].startswith(f"{service}.internal."), response.content[:300]
            jwt = str(AccessToken.for_user(world.b.user("fleet_manager")))  # a person's valid access token
            expect_problem(
                APIClient().post(path, body, format="json", HTTP_AUTHORIZATION=f"Bearer {jwt}"), 403, "a user's JWT"
            )
            for other in asked.keys() - {service}:
                expect_problem(
                    APIClient().post(path, body, format="json", HTTP_AUTHORIZATION=f"Bearer {other}-service-token"),
                    403,
                    f"{other}'s credential on {service}",
                )
            answered = APIClient().post(path, body, format="json", HTTP_AUTHORIZATION=f"Bearer {service}-service-token")
            assert answered.status_code == 200, f"{service}: {answered.status_code}"  # the check itself is sound


def _emailed_link_page_check(path: str):
    """The pages of emailed links: a made-up token gets a clear page naming no fleet; the token names the row."""

    def check(world: World) -> None:
        page = Client().get(f"{path}?token=made-up", follow=True)
        assert page.status_code in (404, 410), f"{path} with a made-up token -> {page.status_code}"
        for fleet_id in (world.a.fleet_id, world.b.fleet_id):
            assert str(fleet_id).encode() not in page.content, f"{path} shows a fleet's id"

    return check


def _push_key_check(world: World) -> None:
    url = api("notifications/push/key/")
    answer = world.clients[R].get(url)
    assert answer.status_code in (200, 404), f"{url} -> {answer.status_code}"  # 404: no VAPID key in this setup
    for fleet_id in (world.a.fleet_id, world.b.fleet_id):
        assert str(fleet_id) not in answer.content.decode(), f"{url} shows a fleet's id"
    for actor in (M, D, C):
        expect_problem(world.clients[actor].get(url), 403, f"GET {url} as fleet A's {actor}")


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
    assert client.get(api("trips/trips/"), {"count": "true"}).json()["count"] == 0
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


def _notification_preferences_check(world: World) -> None:
    """The caller's own preferences: a user id in the body is refused, fleet B's customer's stay as they were."""
    from apps.notifications.models import Preference

    b_customer = world.b.customer.id
    Preference.objects.get_or_create(user_id=b_customer)
    before = snapshot([Preference.objects.filter(user_id=b_customer)])
    for role in (M, D, R):
        client = world.clients[role]
        sneaky = client.put(
            api("notifications/preferences/"), {"opted_out": ["email"], "user_id": str(b_customer)}, format="json"
        )
        expect_problem(sneaky, 400, "PUT preferences naming another user")
        assert client.get(api("notifications/preferences/")).json()["opted_out"] == []
    assert snapshot([Preference.objects.filter(user_id=b_customer)]) == before


def _console_preferences_check(world: World) -> None:
    """The signed-in admin user's own preferences: a user id slipped into the form is ignored, fleet B's manager's
    stay as they were, and people who are not staff are sent to sign in."""
    from django.test import Client

    from apps.notifications.models import Preference

    b_manager = world.b.user(M).id
    Preference.objects.get_or_create(user_id=b_manager)
    before = snapshot([Preference.objects.filter(user_id=b_manager)])
    client = Client()
    client.force_login(world.a.user(M))
    saved = client.post("/notifications/preferences/", {"email": "on", "digest": "on", "user_id": str(b_manager)})
    assert saved.status_code == 302
    assert snapshot([Preference.objects.filter(user_id=b_manager)]) == before
    assert Preference.objects.get(user_id=world.a.user(M).id).digest is True
    for role in (D, R):
        other = Client()
        other.force_login(world.a.user(role))
        assert other.get("/notifications/preferences/").status_code == 302  # to the admin's sign-in


def _unsubscribe_check(world: World) -> None:
    """The link's signed token names one recipient and channel: a made-up or altered one changes nothing and
    names no fleet; a real one shows its own fleet's name only."""
    from apps.notifications import tokens
    from apps.notifications.models import Preference

    made_up = Client().post("/notifications/unsubscribe/made-up/")
    assert made_up.status_code == 404
    token = tokens.unsubscribe_token(user_id=world.a.customer.id, channel="email", fleet_id=world.a.fleet_id)
    page = Client().get(f"/notifications/unsubscribe/{token}/").content.decode()
    assert world.a.fleet.name in page and world.b.fleet.name not in page and str(world.a.fleet_id) not in page
    altered = token.replace(str(world.a.customer.id)[:4], str(world.b.customer.id)[:4])
    Client().post(f"/notifications/unsubscribe/{altered}/")
    assert not Preference.objects.filter(user_id=world.b.customer.id, opted_out__contains=["email"]).exists()


def _password_change_check(world: World) -> None:
    response = world.clients[M].post(
        api("identity/me/password/"),
        {"old_password": "x", "new_password": "a new passphrase", "user_id": str(world.b.user(M).id)},
        format="json",
    )
    expect_problem(response, 400, "a password change naming another user")


def _my_erasure_check(world: World) -> None:
    """Erasing one's own account names nobody else: a user id in the body is refused, B's users stay."""
    before = snapshot(rows(User, id=lambda w: w.b.user(M).id)(world))
    for role in (M, D, R):
        sneaky = world.clients[role].post(
            api("identity/me/erase/"), {"password": "x", "user_id": str(world.b.user(M).id)}, format="json"
        )
        expect_problem(sneaky, 400, f"erase me naming another user as {role}")
        wrong = world.clients[role].post(api("identity/me/erase/"), {"password": "not it"}, format="json")
        expect_problem(wrong, 403, f"erase me with a wrong password as {role}")
    assert snapshot(rows(User, id=lambda w: w.b.user(M).id)(world)) == before


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
        b_customer_money = JournalTransaction.objects.filter(reference_id__in=[world.b.customer.id, world.b.topup.id])
        assert b_customer_money.count() == 1  # its one top-up

    return check


def _topup_request_check(world: World) -> None:
    """A customer asks for a top-up of their own: naming another customer is refused, fleet roles may not ask, and
    asking credits nothing (only a confirmation does)."""
    path = api("billing/topups/")
    body = {"amount_minor": 100, "currency": "EUR"}
    sneaky = world.clients[C].post(
        path, {**body, "request_id": str(uuid.uuid4()), "customer_id": str(world.b.customer.id)}, format="json"
    )
    expect_problem(sneaky, 400, "a top-up naming another customer")
    for role in FLEET_ROLES:
        response = world.clients[role].post(path, {**body, "request_id": str(uuid.uuid4())}, format="json")
        expect_problem(response, 403, f"a top-up as {role}")
    asked = world.clients[C].post(path, {**body, "request_id": str(uuid.uuid4())}, format="json")
    assert asked.status_code == 201 and asked.json()["status"] == "pending"
    assert world.clients[C].get(api("billing/balance/")).json()["prepaid"] == {}
    assert (
        not TopUp.objects.filter(customer_id=world.b.customer.id)
        .exclude(id__in=[world.b.topup.id, world.b.pending_topup.id])
        .exists()
    )


def _payment_webhook_check(world: World) -> None:
    """Nobody confirms fleet B's customer's top-up without the provider's signature, whoever they are logged in as."""
    before = snapshot([TopUp.objects.filter(id=world.b.pending_topup.id)])
    event = {
        "id": f"evt_{uuid.uuid4().hex}",
        "type": "payment.succeeded",
        "data": {
            "object": {"id": "pay_1", "reference": str(world.b.pending_topup.id), "amount": 2500, "currency": "EUR"}
        },
    }
    for client in [*world.clients.values(), APIClient()]:
        for headers in ({}, {"Payment-Signature": f"t={int(timezone.now().timestamp())},v1={'0' * 64}"}):
            response = client.post(api("billing/payments/psp/webhook/"), event, format="json", headers=headers)
            assert 400 <= response.status_code < 500, response.content[:300]
    assert snapshot([TopUp.objects.filter(id=world.b.pending_topup.id)]) == before


def _track_check(world: World) -> None:
    page = APIClient().get(api(f"trips/track/{world.b.tracking_token}/"))
    assert page.status_code == 200
    text = page.content.decode()
    for secret in (world.b.fleet_id, world.b.customer.id, world.b.trip_done.id, world.b.driver.id):
        assert str(secret) not in text, "a tracking page shows an id"
    expect_problem(APIClient().get(api(f"trips/track/{world.b.tracking_token[:-2]}xx/")), 404, "a guessed token")


def _track_page_check(world: World) -> None:
    page = Client().get(f"/track/{world.b.tracking_token}/")
    assert page.status_code == 200 and page["Content-Type"].startswith("text/html")
    text = page.content.decode()
    for secret in (world.a.fleet_id, world.b.fleet_id, world.b.customer.id, world.b.trip_done.id, world.b.driver.id):
        assert str(secret) not in text, "the tracking page shows an id"
    guessed = Client().get(f"/track/{world.b.tracking_token[:-2]}xx/")
    assert guessed.status_code == 404 and guessed["Content-Type"].startswith("text/html")
    assert "Alpha" not in guessed.content.decode() and "Bravo" not in guessed.content.decode()


def _track_logo_check(world: World) -> None:
    # neither fleet has a logo in the world: a valid link answers 404 like a guessed one
    assert Client().get(f"/track/{world.b.tracking_token}/logo.png").status_code == 404
    assert Client().get(f"/track/{world.b.tracking_token[:-2]}xx/logo.png").status_code == 404


def _brand_logo_check(world: World) -> None:
    for path in (f"/brand/{world.b.fleet_id}/logo.png", f"/brand/{uuid.uuid4()}/logo.png", "/brand/nope/logo.png"):
        response = Client().get(path)
        assert response.status_code == 404 and not response.content.startswith(b"\x89PNG"), path


EXEMPT = {
    "home": Exempt("redirects to the dispatch screen; no data", _no_tenant_data("/")),
    "healthz": Exempt("process liveness; no data", _no_tenant_data("/healthz")),
    "readyz": Exempt("reachability of PostgreSQL and Redis; no data", _no_tenant_data("/readyz")),
    "metrics": Exempt(
        "process-wide Prometheus counters, labelled by route, never by fleet", _no_tenant_data("/metrics")
    ),
    "schema": Exempt("the OpenAPI document: the same for everyone", _no_tenant_data("/api/schema/")),
    "notifications-v1:push-key": Exempt(
        "the server's VAPID public key: the same for every driver, no fleet's data",
        _push_key_check,
        "apps/notifications/tests/test_push_api.py",
    ),
    "api-docs": Exempt("the docs page around the schema", _no_tenant_data("/api/docs/")),
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
    "internal:call": Exempt(
        "service-to-service calls (the platform's contexts calling billing run as its own service, billing's own "
        "processes calling fleet, partner and identity): a context's service credential, never a person's token; "
        "fleets are the callers' business, checked where the call starts",
        _internal_check,
        "tests/integration/test_internal_api.py",
    ),
    "identity:jwks": Exempt(
        "the public keys tokens are signed with: the same for everyone, no fleet's data",
        _no_tenant_data("/.well-known/jwks.json"),
        "apps/identity/tests/test_jwt_keys.py",
    ),
    "identity:invitation": Exempt(
        "the emailed invitation link's page; its token names the invitation (no fleet id is shown)",
        _emailed_link_page_check("/invitation"),
        "apps/identity/tests/test_account_pages.py",
    ),
    "identity:reset-password": Exempt(
        "the emailed reset link's page; its token names the account",
        _emailed_link_page_check("/reset-password"),
        "apps/identity/tests/test_account_pages.py",
    ),
    "identity:forgot-password": Exempt(
        "anonymous; the same answer whether or not an account exists",
        _no_tenant_data("/forgot-password"),
        "apps/identity/tests/test_account_pages.py",
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
    "identity-v1:api-scopes": Exempt(
        "the catalogue of API key scopes: the same for everyone, naming no fleet",
        _no_tenant_data(api("identity/api-scopes/")),
        "tests/integration/test_api_keys.py",
    ),
    "identity-v1:me": Exempt("the caller's own account", _me_check, "apps/identity/tests/test_accounts_api.py"),
    "notifications-v1:preferences": Exempt(
        "the caller's own notification preferences",
        _notification_preferences_check,
        "apps/notifications/tests/test_preferences.py",
    ),
    "notifications:preferences": Exempt(
        "the signed-in admin user's own notification preferences (the console's Your notifications)",
        _console_preferences_check,
        "apps/notifications/tests/test_preferences_page.py",
    ),
    "notifications:unsubscribe": Exempt(
        "an emailed one-click unsubscribe link; its signed token names the recipient and channel",
        _unsubscribe_check,
        "apps/notifications/tests/test_preferences.py",
    ),
    "identity-v1:password-change": Exempt(
        "the caller's own password", _password_change_check, "apps/identity/tests/test_accounts_api.py"
    ),
    "identity-v1:export": Exempt("the caller's own data (GDPR)", _export_check, "apps/identity/tests/test_erasure.py"),
    "identity-v1:my-erasure": Exempt(
        "the caller's own account (GDPR)", _my_erasure_check, "apps/identity/tests/test_erasure_api.py"
    ),
    "billing-v1:balance": Exempt(
        "the calling customer's own balance", _balance_check, "tests/integration/test_billing_api.py"
    ),
    "billing-v1:payment-webhook": Exempt(
        "a payment provider's call, authenticated by its signature, not by a user of any fleet",
        _payment_webhook_check,
        "apps/billing/tests/test_topups.py",
    ),
    "billing-v1:points-redeem": Exempt(
        "the calling customer's own loyalty points",
        _customer_money_check("billing/points/redeem/", {"points": 1, "currency": "EUR"}),
        "tests/integration/test_billing_api.py",
    ),
    "trips-v1:track": Exempt(
        "public by design: the unguessable token is the key; it shows progress and no ids or personal data",
        _track_check,
        "apps/trips/tests/test_tracking.py",
    ),
    "trips:track": Exempt(
        "the tracking page: public by design, the token is the key; no ids, phones or exact positions",
        _track_page_check,
        "apps/trips/tests/test_tracking_page.py",
    ),
    "trips:track-logo": Exempt(
        "the fleet's logo for a valid link's page: an image the fleet shows its customers",
        _track_logo_check,
        "tests/integration/test_tracking_socket.py",
    ),
    "fleet:brand-logo": Exempt(
        "a fleet's public logo (for the messages sent in its name): an image, nothing else of the fleet",
        _brand_logo_check,
        "apps/fleet/tests/test_branding.py",
    ),
}


# ---- the admin: every ModelAdmin of admin.site, by model label (tests/support/isolation_admin.py) ------------------


def _tax(side):
    return TaxRate.objects.filter(fleet_id=side.fleet_id).order_by("created_at").first()


def _tariff_of(side):
    return Tariff.objects.get(fleet_id=side.fleet_id)


def _tariff_form(world: World, side) -> dict:
    tax = _tax(side).id
    return {
        "fleet_id": side.fleet_id,
        "name": "Airport run",
        "currency": side.fleet.currency,
        "default_tax": tax,
        "valid_from_0": "2026-01-01",
        "valid_from_1": "00:00:00",
        "components-0-tax": tax,
    }


def _vehicle_form(world: World, side) -> dict:
    return {
        "fleet": side.fleet_id,
        "registration": f"ADM {uuid.uuid4().hex[:5].upper()}",
        "registration_country": "DE",
        "make": "Ford",
        "model": "Transit",
        "year": 2023,
        "gross_weight_kg": 7500,  # trucks only
    }


def _vehicle_case(attr: str):
    return admin_case(lambda s: getattr(s, attr), may="view add change", form=_vehicle_form, foreign=("fleet",))


# What fleet managers see in the admin, and may do there; a model they must not see goes in PLATFORM_ONLY. A
# ModelAdmin registered in neither fails test_every_model_admin_has_a_case. How to add one: docs/development.md.
ADMIN_CASES = {
    "billing.taxrate": admin_case(
        _tax,
        may="view add change",
        form=lambda w, s: {"fleet_id": s.fleet_id, "name": "Reduced", "rate_bps": "7"},  # percent
        foreign=("fleet_id",),
    ),
    "billing.tariff": admin_case(
        lambda s: Tariff.objects.get(fleet_id=s.fleet_id),
        may="view add change",
        form=_tariff_form,
        foreign=("fleet_id", "default_tax", "components-0-tax"),
    ),
    "billing.quote": admin_case(lambda s: s.quote),
    "billing.farerecord": admin_case(lambda s: FareRecord.objects.get(trip_id=s.trip_done.id)),
    "billing.account": admin_case(lambda s: Account.objects.filter(fleet_id=s.fleet_id).first()),
    "billing.journaltransaction": admin_case(lambda s: JournalTransaction.objects.filter(fleet_id=s.fleet_id).first()),
    "billing.payout": admin_case(lambda s: s.payout, may="view change"),
    "billing.invoice": admin_case(
        lambda s: s.invoice, extra={"billing_invoice_pdf": Extra(lambda pk: f"/admin/billing/invoice/{pk}/pdf/")}
    ),
    "fleet.fleet": admin_case(lambda s: s.fleet, may="view change"),
    "fleet.vehicle": admin_case(  # add: the type chooser
        lambda s: s.van, may="view add change"
    ),
    "fleet.bike": _vehicle_case("bike"),
    "fleet.car": _vehicle_case("car"),
    "fleet.van": _vehicle_case("van"),
    "fleet.truck": _vehicle_case("truck"),
    "fleet.vehicledocument": admin_case(
        lambda s: s.vehicle_document,
        may="view add change",
        form=lambda w, s: {"vehicle": s.van.id, "kind": "inspection", "expires_on": "2031-01-01"},
        foreign=("vehicle",),
    ),
    "identity.user": admin_case(
        lambda s: s.user(R),
        extra={"auth_user_password_change": Extra(lambda pk: f"/admin/identity/user/{pk}/password/", 403)},
    ),
    "identity.membership": admin_case(lambda s: s.memberships[0], may="view change"),
    "identity.invitation": admin_case(
        lambda s: s.invitation,
        may="view add change",
        form=lambda w, s: {"email": f"new.{uuid.uuid4().hex[:6]}@example.test", "fleet_id": s.fleet_id, "role": R},
        foreign=("fleet_id",),
    ),
    "identity.serviceaccount": admin_case(
        lambda s: s.service_account,
        may="view add change",
        form=lambda w, s: {"fleet_id": s.fleet_id, "name": f"Connector {uuid.uuid4().hex[:6]}"},
        foreign=("fleet_id",),
    ),
    "identity.apikey": admin_case(
        lambda s: s.api_key,
        may="view add change",
        form=lambda w, s: {"service_account": s.service_account.id, "scopes": ["trips:read"]},
        foreign=("service_account",),
    ),
    "partner.driverprofile": admin_case(
        lambda s: s.driver,
        may="view change",
    ),
    "partner.kycdocument": admin_case(  # reviewed on its review page, or by actions
        lambda s: s.kyc_document,
        may="view change",
        extra={
            "partner_kycdocument_review": Extra(lambda pk: f"/admin/partner/kycdocument/{pk}/review/"),
            "partner_kycdocument_scan": Extra(lambda pk: f"/admin/partner/kycdocument/{pk}/scan/"),
            "partner_kycdocument_scan_page": Extra(lambda pk: f"/admin/partner/kycdocument/{pk}/scan/page/1/"),
        },
    ),
    "partner.drivinglicence": admin_case(lambda s: DrivingLicence.objects.get(driver=s.driver)),
    "partner.identitydocument": admin_case(lambda s: IdentityDocument.objects.get(driver=s.driver)),
    "partner.backgroundcheck": admin_case(lambda s: BackgroundCheck.objects.get(driver=s.driver)),
    "trips.trip": admin_case(
        lambda s: s.trip_open,
        may="view change",  # change: the cancel action and the import of bookings
        extra={
            "trips_trip_import": ListExtra("/admin/trips/trip/import/", lambda s: s.fleet.name),
            "trips_trip_proof": Extra(lambda pk: f"/admin/trips/trip/{pk}/proof/2/photo/", row=lambda s: s.trip_done),
        },
    ),
    "trips.shift": admin_case(lambda s: s.shift, may="view change"),
    "trips.offer": admin_case(lambda s: s.offer),
    "notifications.webhookendpoint": admin_case(
        lambda s: s.webhook_endpoint,
        may="view add change delete",
        form=lambda w, s: {
            "fleet_id": s.fleet_id,
            "url": f"http://127.0.0.1:9/hooks/new-{s.fleet.name.lower()}",
            "event_types": ["trip.completed"],
            "is_active": "on",
        },
        foreign=("fleet_id",),
    ),
    "notifications.webhookdelivery": admin_case(
        lambda s: s.webhook_delivery,
        extra={
            "notifications_webhookdelivery_replay": ListExtra(
                "/admin/notifications/webhookdelivery/replay/", lambda s: s.webhook_endpoint.description
            )
        },
    ),
}
PLATFORM_ONLY = {
    "axes.accessattempt": "failed logins of every account and address, and lifting a lockout",
    "auth.group": "permission groups: the fleet-manager group is kept by migrations",
    "billing.topup": "prepaid balances are the platform's, paying fares in every fleet: no fleet credits one",
    "billing.unappliedpayment": "provider payments for the platform's prepaid balances, held for refund",
    "outbox.outboxmessage": "the event log of every fleet",
    "outbox.inboxrecord": "the event log of every fleet",
    "outbox.deadletter": "the event log of every fleet, and replaying it",
    "notifications.delivery": "every fleet's customers' messages, and replaying dead ones",
    "notifications.preference": "every person's notification choices (people change their own over REST)",
    "django_celery_beat.periodictask": "the platform's schedules",
    "django_celery_beat.intervalschedule": "the platform's schedules",
    "django_celery_beat.crontabschedule": "the platform's schedules",
    "django_celery_beat.solarschedule": "the platform's schedules",
    "django_celery_beat.clockedschedule": "the platform's schedules",
}

# Views a platform-only ModelAdmin adds (route name without "admin:"): fleet managers get 403 on them too.
PLATFORM_ONLY_EXTRA = {
    "billing.topup": {"billing_topup_confirm": Extra(lambda pk: f"/admin/billing/topup/{pk}/confirm/")},
}


def _manager(world: World) -> Client:
    client = Client()
    client.force_login(world.a.user(M))
    return client


def _admin_index_check(world: World) -> None:
    """The index links every model managers see and none they do not; nothing of fleet B shows."""
    html = _manager(world).get("/admin/").content.decode()
    for key in ADMIN_CASES:
        if not getattr(registry()[key], "show_in_index", True):  # polymorphic children: through their parent's page
            continue
        assert f'/admin/{key.replace(".", "/")}/"' in html, f"the admin index does not link {key} for managers"
    for key in PLATFORM_ONLY:
        assert f'/admin/{key.replace(".", "/")}/"' not in html, f"the admin index links {key} for managers"
    assert str(world.b.fleet_id) not in html and world.b.fleet.name not in html


def _admin_page_check(path: str, method: str = "get"):
    def check(world: World) -> None:
        response = getattr(_manager(world), method)(path)
        assert response.status_code in (200, 302), f"{path} -> {response.status_code}"
        body = response.content.decode()
        assert str(world.b.fleet_id) not in body and world.b.fleet.name not in body

    return check


def _admin_autocomplete_check(world: World) -> None:
    """Every relation the admin could complete: refused, or only rows the manager may see."""
    client, b_ids = _manager(world), world.b.ids()
    for model in admin.site._registry:
        for field in model._meta.get_fields():
            if not (field.is_relation and field.concrete and field.related_model in admin.site._registry):
                continue
            response = client.get(
                "/admin/autocomplete/",
                {"app_label": model._meta.app_label, "model_name": model._meta.model_name, "field_name": field.name},
            )
            what = f"autocomplete {model._meta.label}.{field.name}"
            assert response.status_code in (200, 403, 404), f"{what} -> {response.status_code}"
            if response.status_code == 200:
                shown = {row["id"] for row in response.json()["results"]}
                assert not shown & b_ids, f"autocomplete of {model}.{field.name} shows fleet B's rows"


def _admin_view_on_site_check(world: World) -> None:
    client = _manager(world)
    for key, admin_case_ in ADMIN_CASES.items():
        row = admin_case_.row(world.b)
        type_id = ContentType.objects.get_for_model(row).id
        hit, miss = client.get(f"/admin/r/{type_id}/{row.pk}/"), client.get(f"/admin/r/{type_id}/{uuid.uuid4()}/")
        assert hit.status_code == miss.status_code != 200, f"view on site of fleet B's {key} -> {hit.status_code}"


def _admin_overview_check(world: World) -> None:
    """The overview (the admin's landing page) shows fleet A's figures and names and nothing of fleet B, whichever
    period; fleet B's id as `?fleet=` answers exactly as an id that exists nowhere (404)."""
    client = _manager(world)
    b_names = [world.b.fleet.name, world.b.driver.display_name, world.b.van.registration, world.b.customer.display_name]
    for path in (
        "/admin/",
        "/admin/overview/",
        "/admin/overview/?days=30",
        f"/admin/overview/?fleet={world.a.fleet_id}",
    ):
        response = client.get(path)
        html = response.content.decode()
        assert response.status_code == 200, f"{path} -> {response.status_code}"
        assert world.a.driver.display_name in html, f"{path} misses fleet A's driver"
        assert not world.b.ids() & set(re.findall(r"[0-9a-f-]{36}", html)), f"{path} names a row of fleet B"
        assert not [name for name in b_names if name in html], f"{path} shows fleet B's names"
    hit = client.get(f"/admin/overview/?fleet={world.b.fleet_id}")
    miss = client.get(f"/admin/overview/?fleet={uuid.uuid4()}")
    assert hit.status_code == miss.status_code == 404, (hit.status_code, miss.status_code)
    everyone = Client()
    everyone.force_login(world.fleets.platform_admin)
    assert world.b.driver.display_name in everyone.get(f"/admin/overview/?fleet={world.b.fleet_id}").content.decode()


def _admin_reports_check(world: World) -> None:
    """The reports page and its CSV and PDF show nothing of fleet B, whichever kind; fleet B's id as `?fleet=` and
    fleet B's customer for a statement answer exactly as ids that exist nowhere (404)."""
    client = _manager(world)
    b_names = [world.b.fleet.name, world.b.driver.display_name, world.b.van.registration, world.b.customer.display_name]
    month = timezone.localdate().strftime("%Y-%m")
    for params in (
        {},
        {"fleet": str(world.a.fleet_id), "kind": "vehicles"},
        {"fleet": str(world.a.fleet_id), "kind": "statement", "month": month},
        {"fleet": str(world.a.fleet_id), "format": "csv"},
        {"fleet": str(world.a.fleet_id), "format": "pdf"},
    ):
        response = client.get("/admin/reports/", params)
        assert response.status_code == 200, f"{params} -> {response.status_code}"
        body = response.content.decode(errors="replace")
        assert not world.b.ids() & set(re.findall(r"[0-9a-f-]{36}", body)), f"{params} names a row of fleet B"
        assert not [name for name in b_names if name in body], f"{params} shows fleet B's names"
    hit = client.get("/admin/reports/", {"fleet": str(world.b.fleet_id)})
    miss = client.get("/admin/reports/", {"fleet": str(uuid.uuid4())})
    assert hit.status_code == miss.status_code == 404, (hit.status_code, miss.status_code)
    theirs = client.get(
        "/admin/reports/",
        {"fleet": str(world.a.fleet_id), "kind": "statement", "month": month, "customer": str(world.b.customer.id)},
    )
    assert theirs.status_code == 404, theirs.status_code
    everyone = Client()
    everyone.force_login(world.fleets.platform_admin)
    assert everyone.get("/admin/reports/", {"fleet": str(world.b.fleet_id)}).status_code == 200


def _admin_unknown_check(world: World) -> None:
    assert _manager(world).get(f"/admin/{world.b.fleet_id}/").status_code == 404


# The admin's own pages (not a ModelAdmin's), each with a check as fleet A's manager.
ADMIN_SITE = {
    "admin:index": Exempt("the overview of what the user may open", _admin_index_check),
    "admin:overview": Exempt("the manager's overview of their fleets (the index shows it too)", _admin_overview_check),
    "admin:reports": Exempt("the manager's reports on their fleets, CSV and PDF", _admin_reports_check),
    "admin:app_list": Exempt("one context's models", _admin_page_check("/admin/billing/")),
    "admin:login": Exempt("sign-in form", _no_tenant_data("/admin/login/")),
    "admin:logout": Exempt("ends the caller's own session", _no_tenant_data("/admin/logout/", "post")),
    "admin:password_change": Exempt("the caller's own password", _admin_page_check("/admin/password_change/")),
    "admin:password_change_done": Exempt("a notice", _admin_page_check("/admin/password_change/done/")),
    "admin:jsi18n": Exempt("translations for the admin's scripts", _admin_page_check("/admin/jsi18n/")),
    "admin:autocomplete": Exempt("search behind select boxes", _admin_autocomplete_check),
    "admin:view_on_site": Exempt("the public page of a row (none of ours has one)", _admin_view_on_site_check),
    "admin:admin/(?P<url>.*)$": Exempt("unknown admin paths: not found", _admin_unknown_check),
}


# ---- the walker -----------------------------------------------------------------------------------------------------


def test_every_route_has_an_isolation_case_or_an_exemption():
    rest = rest_routes()
    sockets = websocket_routes()
    missing, uncovered = [], []
    for route in rest:
        if route.key.startswith("admin:") or route.key in EXEMPT:  # the admin: test_every_model_admin_has_a_case
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
    known = {r.key for r in rest if not r.key.startswith("admin:")} | {r.key for r in sockets}
    stale = (set(REST_CASES) | set(EXEMPT) | set(WS_CASES)) - known
    assert not stale, f"isolation cases for routes that no longer exist: {sorted(stale)}"
    assert not set(REST_CASES) & set(EXEMPT), "a route is either checked or exempt"
    assert all(e.check is not None and e.reason for e in [*EXEMPT.values(), *ADMIN_SITE.values()])
    assert sockets and len(sockets) == len(WS_CASES)


def test_every_model_admin_has_a_case():
    """Every ModelAdmin is either seen by fleet managers (a case in ADMIN_CASES) or by platform admins only, and
    every admin page is covered: a case's standard views and its `extra` ones, or the site's own in ADMIN_SITE."""
    registered = set(registry())
    missing = registered - set(ADMIN_CASES) - set(PLATFORM_ONLY)
    assert not missing, (
        "ModelAdmins without a tenant-isolation case: add each to ADMIN_CASES (fleet managers see it) or "
        f"PLATFORM_ONLY in tests/integration/test_tenant_isolation_matrix.py: {sorted(missing)}"
    )
    assert not (set(ADMIN_CASES) | set(PLATFORM_ONLY)) - registered, "admin cases for models no longer registered"
    assert not set(ADMIN_CASES) & set(PLATFORM_ONLY), "a model is either seen by fleet managers or not"
    by_model, site = admin_routes()
    models = {label(m): m for m in admin.site._registry}
    for key, routes in by_model.items():
        case_ = ADMIN_CASES.get(key)
        extra = case_.extra if case_ else PLATFORM_ONLY_EXTRA.get(key, {})
        covered = standard_routes(models[key]) | {f"admin:{name}" for name in extra}
        assert not routes - covered, (
            f"admin views of {key} no probe covers (add them to its case's extra): {routes - covered}"
        )
    assert site == set(ADMIN_SITE), (
        f"admin pages without a check: {site - set(ADMIN_SITE)}; stale: {set(ADMIN_SITE) - site}"
    )


# ---- the REST matrix: one world for the class, each test in its own savepoint -------------------------------------


def _value(value, world: World):
    return value(world) if callable(value) else value


def _view_classes() -> dict[str, type]:
    """{route key: DRF view class} of the URL conf, keyed as REST_CASES are."""
    found: dict[str, type] = {}

    def walk(resolver, namespace: str) -> None:
        for entry in resolver.url_patterns:
            if isinstance(entry, URLResolver):
                walk(entry, ":".join(n for n in (namespace, entry.namespace) if n))
            elif getattr(entry.callback, "cls", None) is not None and entry.name:
                found[":".join(n for n in (namespace, entry.name) if n)] = entry.callback.cls

    walk(get_resolver(), "")
    return found


# routes where API keys may call some method: a key lacking that method's scope is refused there
KEY_SCOPED = sorted(
    key
    for key, view in _view_classes().items()
    if key in REST_CASES and any(required_scope(view, m) for m in ("GET", "POST", "PUT", "PATCH", "DELETE"))
)


@pytest.fixture(scope="class")
def world(django_db_setup, django_db_blocker):
    """Built once: an outer transaction holds it, every test runs (and rolls back) in a savepoint inside it."""
    from apps.dispatch import live

    with django_db_blocker.unblock():
        outer = databases.atomic_everywhere()  # the world is every context's
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
            databases.set_rollback_everywhere()
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

    @pytest.mark.parametrize("key", sorted(REST_CASES))
    def test_fleet_a_api_key_sees_nothing_of_fleet_b_on(self, world, key):
        """Fleet A's API key (every scope) on every route: where the method has a key scope, fleet B's rows are
        absent (404) and A's own present; where it has none, 403 `auth.scope_missing` for any id."""
        for probe in REST_CASES[key].probes:
            path = probe.paths(world)[0]
            view = getattr(resolve(path.split("?")[0]).func, "cls", None)
            if view is None:  # a page, not the API: keys are not taken there (sessions only)
                continue
            scope = required_scope(view, probe.method)
            as_key = key_probe(probe, scope)
            if as_key is None:
                continue
            as_key.run(world)
            if scope is None:
                response = request(
                    world.clients[KEY],
                    probe.method,
                    path,
                    _value(getattr(probe, "data", None), world),
                    multipart=getattr(probe, "multipart", False),
                )
                assert expect_problem(response, 403, f"{probe.method} {path} as a key")["code"] == "auth.scope_missing"

    @pytest.mark.parametrize("key", KEY_SCOPED)
    def test_a_key_lacking_the_scope_is_refused_on(self, world, key):
        for probe in REST_CASES[key].probes:
            path = probe.paths(world)[0]
            scope = required_scope(resolve(path.split("?")[0]).func.cls, probe.method)
            if scope is None:
                continue
            client = world.keys_without[scope]
            response = request(
                client, probe.method, world.ghost(path), world.ghost(_value(getattr(probe, "data", None), world))
            )
            body = expect_problem(response, 403, f"{probe.method} {path} by a key without {scope}")
            assert (body["code"], body.get("scope")) == ("auth.scope_missing", scope)

    @pytest.mark.parametrize("key", sorted(EXEMPT) + sorted(ADMIN_SITE))
    def test_exempt_route_still_keeps_tenants_apart(self, world, key):
        exemption = EXEMPT.get(key) or ADMIN_SITE[key]
        exemption.check(world)

    @pytest.mark.parametrize("key", sorted(ADMIN_CASES))
    def test_admin_keeps_fleet_b_from_fleet_a_manager(self, world, key):
        model_admin = registry()[key]
        probe = AdminProbe(world, model_admin.model, model_admin, ADMIN_CASES[key])
        probe.permissions()
        probe.changelist()
        probe.object_pages()
        probed = probe.forms()
        probe.actions()
        probe.exports()
        assert probed == set(ADMIN_CASES[key].foreign), (
            f"{key}: fields named in foreign but on no form: {set(ADMIN_CASES[key].foreign) - probed}"
        )
        assert not probe.no_raw_ids(), f"{key}: forms ask for a raw id: {probe.no_raw_ids()}"

    @pytest.mark.parametrize("key", sorted(PLATFORM_ONLY))
    def test_admin_for_platform_admins_only(self, world, key):
        platform_only(world, registry()[key].model, PLATFORM_ONLY_EXTRA.get(key))


# ---- websockets: the consumers run on the real channel layer, so these commit ------------------------------------


def _connect(path: str, user: User | None):
    async def attempt():
        url = f"{path}{'&' if '?' in path else '?'}token={AccessToken.for_user(user)}" if user else path
        communicator = WebsocketCommunicator(_asgi(), url)
        connected, code, first = await admitted_or_closed(communicator)  # refusals: accepted, closed with the code
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
    """Fleet B's screen feed refuses every role of fleet A (closed at once with 4403); their own fleet's feed opens."""
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


def _tracking_socket(fleets) -> None:
    """No login: the token is the key, whoever holds it (a JWT of any role changes nothing). A made-up token is
    refused (4404) for everyone; a real one shows its own trip only, with no ids."""
    from apps.trips import domain as trips_domain
    from apps.trips.models import TrackingLink
    from apps.trips.tests.factories import TripFactory

    trip = TripFactory(fleet_id=fleets.b.fleet_id, customer_id=fleets.customer.id)
    token = "T" * 32
    TrackingLink.objects.create(
        trip=trip, token_hash=trips_domain.secret_hash(token), expires_at=timezone.now() + dt.timedelta(hours=1)
    )
    for user in (None, fleets.a.users[M], fleets.b.users[D], fleets.customer):
        assert _connect(f"/ws/track/{'U' * 32}/", user)[:2] == (False, CLOSE_NOT_FOUND)
    connected, _, first = _connect(f"/ws/track/{token}/", None)
    assert connected and first["type"] == "tracking" and first["tracking"]["fleet"]["name"] == "Bravo"
    for secret in (fleets.a.fleet_id, fleets.b.fleet_id, fleets.customer.id, trip.id):
        assert str(secret) not in str(first), "the tracking socket sends an id"


def _unknown_path(fleets) -> None:
    """The catch-all route lets no one in anywhere: refused as not found (4404) before accept, for every role."""

    async def attempt(user):
        url = f"/ws/dispatch/fleets/{fleets.b.fleet_id}/extra/?token={AccessToken.for_user(user)}"
        return await WebsocketCommunicator(_asgi(), url).connect()

    for user in [*fleets.a.users.values(), fleets.customer, fleets.platform_admin]:
        assert async_to_sync(attempt)(user) == (False, CLOSE_NOT_FOUND)


WS_CASES = {
    "ws/dispatch/fleets/<str:fleet_id>/": _dispatch_feed,
    "ws/driver/": _driver_socket,
    "ws/track/<str:token>/": _tracking_socket,
    "": _unknown_path,  # config/routing.py's route of last resort
}


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("route", sorted(WS_CASES))
def test_websocket_route_keeps_fleets_apart(socket_fleets, route):
    WS_CASES[route](socket_fleets)
