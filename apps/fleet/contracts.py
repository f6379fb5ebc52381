"""Framework-free types the fleet context shares: frozen dataclasses, enums, error types."""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import uuid

from logitrack.exceptions import Conflict, NotFound, ServiceUnavailable, ValidationFailed
from logitrack.wire import RemoteCall, RemoteInterface, contract_errors


class FleetStatus(enum.StrEnum):
    APPLIED = "applied"
    UNDER_REVIEW = "under_review"
    ACTIVE = "active"
    SUSPENDED = "suspended"
    CLOSED = "closed"


class VehicleType(enum.StrEnum):
    BIKE = "bike"
    CAR = "car"
    VAN = "van"
    TRUCK = "truck"


class VehicleStatus(enum.StrEnum):
    ACTIVE = "active"
    IN_MAINTENANCE = "in_maintenance"
    RETIRED = "retired"


class VehicleDocumentKind(enum.StrEnum):
    REGISTRATION = "registration"
    INSURANCE = "insurance"
    INSPECTION = "inspection"


@dataclasses.dataclass(frozen=True, kw_only=True)
class Capacity:
    """What a vehicle can carry. Zero means the dimension does not apply (a bike has no seats to sell)."""

    weight_kg: int
    volume_m3: float
    seats: int
    parcels: int = 0


@dataclasses.dataclass(frozen=True, kw_only=True)
class ServiceArea:
    """Where a fleet operates: a circle (centre + radius) and/or a polygon of (lat, lng) vertices."""

    center_lat: float | None = None
    center_lng: float | None = None
    radius_m: int | None = None
    polygon: tuple[tuple[float, float], ...] = ()


@dataclasses.dataclass(frozen=True, kw_only=True)
class FleetRef:
    id: uuid.UUID
    name: str
    legal_name: str
    status: FleetStatus
    country: str
    currency: str
    time_zone: str
    tax_id: str
    address_line1: str
    address_line2: str
    postal_code: str
    city: str
    auto_dispatch: bool
    default_service_minutes: int
    commission_bps: int  # the platform's share of a fare, in basis points (1/100 of a percent)
    service_area: ServiceArea
    proof_of_delivery: tuple[str, ...] = ()  # what each drop-off needs: recipient, signature, photo, pin


@dataclasses.dataclass(frozen=True, kw_only=True)
class FleetLocality:
    """How a fleet's people read figures: a CLDR locale (from its country), its IANA time zone and currency."""

    locale: str
    time_zone: str
    currency: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class FleetBranding:
    """How a fleet presents itself to its customers and drivers: in messages and on the tracking page."""

    fleet_id: uuid.UUID
    name: str
    colour: str  # "#rrggbb"
    language: str  # "en", "de": the fleet's own choice, else its country's language where LogiTrack speaks it
    locale: str  # CLDR locale for figures and dates, e.g. "de_DE"
    time_zone: str
    currency: str
    logo_version: str  # "" without a logo; changes whenever the logo does (cache-busting for its URL)


@dataclasses.dataclass(frozen=True, kw_only=True)
class FleetLogo:
    """A fleet's logo as stored: a PNG we re-encoded at upload, and its version (FleetBranding.logo_version)."""

    content: bytes
    version: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class VehicleRef:
    id: uuid.UUID
    fleet_id: uuid.UUID
    type: VehicleType
    registration: str
    make: str
    model: str
    year: int
    status: VehicleStatus
    capacity: Capacity
    required_licence_class: str


class FleetNotFound(NotFound):
    code = "fleet.not_found"


class VehicleNotFound(NotFound):
    code = "fleet.vehicle_not_found"


class IllegalFleetTransition(Conflict):
    code = "fleet.illegal_transition"


class IllegalVehicleTransition(Conflict):
    code = "fleet.vehicle_illegal_transition"


class FleetNotActive(Conflict):
    code = "fleet.not_active"


class RegistrationTaken(Conflict):
    code = "fleet.registration_taken"


class InvalidFleetData(ValidationFailed):
    code = "fleet.invalid"


class ApplicantMissing(Conflict):
    code = "fleet.applicant_missing"


class MaintenanceOverlap(Conflict):
    code = "fleet.maintenance_overlap"


@dataclasses.dataclass(frozen=True, kw_only=True)
class DocumentExpiry:
    document_id: uuid.UUID
    vehicle_id: uuid.UUID
    kind: VehicleDocumentKind
    expires_on: dt.date


# ---- fleet as another process sees it (billing run as its own service; logitrack.remote) ------------------------


class FleetUnavailable(ServiceUnavailable):
    """Fleet is called over HTTP (from a context run as its own service) and cannot be reached: 503 with
    Retry-After. Nothing was changed; the same call may be made again later."""

    code = "fleet.unavailable"
    title = "Fleet is temporarily unavailable"


# The calls of api.py a context in another process needs (billing's own: a fleet's terms, seller details, names and
# localities), served at /internal/fleet/<name>/ (logitrack.http.internal) and called through
# logitrack.remote.ContextApi. Reads only, so all may be retried. A call joins when such a caller needs it.
REMOTE = RemoteInterface(
    service="fleet",
    calls={
        "fleet_get": RemoteCall(returns=FleetRef),
        "fleet_names": RemoteCall(returns=dict[uuid.UUID, str]),
        "fleet_localities": RemoteCall(returns=dict[uuid.UUID, FleetLocality]),
    },
    errors=contract_errors(globals()),
    unavailable=FleetUnavailable,
)
