"""Read use cases of the trips context, and the one place that decides who may see which trips, shifts,
offers, timelines and proofs (every view and the admin ask here)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import uuid
from collections.abc import Set

from django.conf import settings
from django.db.models import (
    Case,
    CharField,
    Count,
    Exists,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
    prefetch_related_objects,
)
from django.db.models.functions import Cast, Coalesce, Replace
from django.utils import timezone

from apps.identity.contracts import CustomerRef
from apps.trips import domain, integrations
from apps.trips.contracts import (
    REPORT_MAX_DAYS,
    TERMINAL_STATUSES,
    ActorRole,
    DriverFigures,
    EndedTrip,
    InvalidTrip,
    StatusCount,
    StopKind,
    StopStatus,
    TripDayFigures,
    TripFigures,
    TripNotFound,
    TripReportLine,
    TripStatus,
    VehicleFigures,
)
from apps.trips.models import (
    WANTED_AT,
    DriverDay,
    Offer,
    ProofOfDelivery,
    Shift,
    Stop,
    TrackingLink,
    Trip,
    TripDay,
    TripLogEntry,
)
from logitrack import files, formatting
from logitrack.db.rows import RowsByKey
from logitrack.exceptions import NotFound
from logitrack.formatting import zone
from logitrack.principal import Principal, Role

# ---- who may see what: decided here, once, for every view and the admin ----------------------------------


@dataclasses.dataclass(frozen=True)
class Caller:
    """Who asks, as trips sees them: the principal, and the driver profiles they drive as (resolved once per
    request, only while they hold the driver role)."""

    principal: Principal
    driver_ids: frozenset[uuid.UUID] = frozenset()

    @property
    def user_id(self) -> uuid.UUID:
        return self.principal.user_id

    def is_staff_of(self, fleet_id: uuid.UUID) -> bool:
        """Dispatches or manages this fleet (or runs the platform)."""
        return self.principal.may_act_on_fleet(fleet_id, Role.DISPATCHER, Role.FLEET_MANAGER)


def caller_of(*, principal: Principal) -> Caller:
    """The caller with their driver ids: one call to partner, and none for someone who is not a driver."""
    driver_ids = integrations.driver_ids_of(user_id=principal.user_id) if principal.has_role(Role.DRIVER) else ()
    return Caller(principal=principal, driver_ids=frozenset(driver_ids))


def trip_visibility(*, principal: Principal, driver_ids: Set[uuid.UUID] = frozenset()) -> list[Q] | None:
    """Customers see the trips they booked; drivers the ones given to them; staff their fleets'. The conditions
    any of which shows the caller a trip (None: every trip, for platform admins), one per index that lists them
    newest first (a list pages each branch on its own: logitrack.http.pagination.KeysetPagination)."""
    if principal.is_platform_admin:
        return None
    visible = [Q(customer_id=principal.user_id), Q(booked_by_id=principal.user_id)]
    visible += [Q(driver_id=driver_id) for driver_id in sorted(driver_ids)]
    visible += [Q(fleet_id=fleet_id) for fleet_id in sorted(principal.fleets(Role.FLEET_MANAGER, Role.DISPATCHER))]
    return visible


# what a trip's body shows (rest_api TripOutput): a list page loads these columns, not the tracking, timing and
# scrubbing ones (every timestamp a row carries is parsed in Python: fewer columns, less CPU per page)
LISTED_COLUMNS = (
    "id", "fleet_id", "customer_id", "status", "version", "service", "vehicle_type", "quote_id", "requested_for",
    "weight_kg", "seats", "parcels", "driver_id", "vehicle_id", "created_at",
)  # fmt: skip
LISTED_STOP_COLUMNS = (
    "trip_id", "sequence", "kind", "address", "lat", "lng", "contact_name", "window_start", "window_end",
    "service_minutes", "notes", "status", "unload_weight_kg", "unload_volume_m3", "unload_parcels", "unload_seats",
)  # fmt: skip


def trips_listed() -> QuerySet:
    """Trips as lists show them, before narrowing to what the caller sees: the columns of their body only, and
    without their stops, which a page fetches for all its trips at once (stops_listed)."""
    return Trip.objects.only(*LISTED_COLUMNS).order_by("-created_at", "-id")


# a page's trips by id once its ids are known (KeysetPagination's rows_of), as rows with the listed columns
trips_by_ids = RowsByKey(Trip, "id", LISTED_COLUMNS)


def stops_listed(*, trip_ids: list[uuid.UUID]) -> dict[uuid.UUID, list]:
    """The stops of a page of trips in one query, by trip and in sequence: what a list shows of them, as rows
    with those attributes (named tuples: a hundred model instances per page cost more than the rest of it)."""
    found: dict[uuid.UUID, list] = {trip_id: [] for trip_id in trip_ids}
    for stop in _stops_of_trips(trip_ids):
        found[stop.trip_id].append(stop)
    return found


# its SQL written once: compiling the queryset anew cost twice what running it does
_stops_of_trips = RowsByKey(Stop, "trip_id", LISTED_STOP_COLUMNS, order_by=("trip_id", "sequence"))


def trips_visible(*, principal: Principal, driver_ids: Set[uuid.UUID] = frozenset()) -> QuerySet:
    qs = Trip.objects.prefetch_related("stops").order_by("-created_at", "-id")
    branches = trip_visibility(principal=principal, driver_ids=driver_ids)
    if branches is None:
        return qs
    visible = Q()
    for branch in branches:
        visible |= branch
    return qs.filter(visible)


def trip_visible_to(*, principal: Principal, trip: Trip, driver_ids: Set[uuid.UUID] = frozenset()) -> bool:
    """trip_visibility's rule for one trip in hand (test_visibility keeps the two the same)."""
    if principal.is_platform_admin:
        return True
    return (
        principal.user_id in (trip.customer_id, trip.booked_by_id)
        or (trip.driver_id is not None and trip.driver_id in driver_ids)
        or trip.fleet_id in principal.fleets(Role.FLEET_MANAGER, Role.DISPATCHER)
    )


def trip_for(*, principal: Principal, trip_id: uuid.UUID, driver_ids: Set[uuid.UUID] = frozenset()) -> Trip | None:
    """The trip with its stops if the caller may see it: read by its id, then judged in hand (trip_visible_to), not
    by a query OR-ing every way of seeing it (building and compiling that was half a trip detail's CPU)."""
    trip = Trip.objects.filter(id=trip_id).first()
    if trip is None or not trip_visible_to(principal=principal, trip=trip, driver_ids=driver_ids):
        return None
    prefetch_related_objects([trip], "stops")
    return trip


def trip_seen(*, caller: Caller, trip_id: uuid.UUID) -> Trip:
    """The trip if the caller may see it (TripNotFound otherwise: another fleet's trip is no different from none)."""
    trip = trip_for(principal=caller.principal, trip_id=trip_id, driver_ids=caller.driver_ids)
    if trip is None:
        raise TripNotFound("no such trip")
    return trip


def trip_staffed(*, caller: Caller, trip_id: uuid.UUID) -> Trip:
    """The trip if the caller dispatches or manages its fleet (to assign or offer it)."""
    trip = trip_seen(caller=caller, trip_id=trip_id)
    if not caller.is_staff_of(trip.fleet_id):
        raise TripNotFound("no such trip")
    return trip


def stop_handler(*, caller: Caller, trip_id: uuid.UUID, action: str) -> tuple[Trip, ActorRole]:
    """The trip and who the caller handles its stop as (domain.STOP_ACTORS): its driver, or for what the fleet's
    staff may do too (fail a stop), its dispatcher; TripNotFound for anyone else."""
    trip = trip_seen(caller=caller, trip_id=trip_id)
    allowed = domain.STOP_ACTORS[action]
    if trip.driver_id is not None and trip.driver_id in caller.driver_ids and ActorRole.DRIVER in allowed:
        return trip, ActorRole.DRIVER
    if ActorRole.DISPATCHER in allowed and caller.is_staff_of(trip.fleet_id):
        return trip, ActorRole.DISPATCHER
    raise TripNotFound("no such trip")


@dataclasses.dataclass(frozen=True)
class TripDetail:
    """A trip as one caller reads it, with what only some callers see (None for the others)."""

    trip: Trip
    tracking_token: str | None  # its customer and its fleet's staff (staff share the link with recipients)
    pins: dict[int, str] | None  # its customer only: they give them to the recipients
    people: integrations.TripPeople | None  # its fleet's staff: customer's and driver's names, the vehicle

    @property
    def staff(self) -> bool:
        return self.people is not None


def trip_detail(*, caller: Caller, trip_id: uuid.UUID) -> TripDetail:
    """The trip, and: for its customer the tracking token and drop-off PINs again; for its fleet's staff the
    tracking token, who the customer and driver are and which vehicle (names, not ids), and the stops' contact
    phones (TripDetail.staff). The driver sees none of it."""
    trip = trip_seen(caller=caller, trip_id=trip_id)
    is_customer = trip.customer_id is not None and trip.customer_id == caller.user_id
    is_staff = caller.is_staff_of(trip.fleet_id)
    if not (is_customer or is_staff):
        return TripDetail(trip=trip, tracking_token=None, pins=None, people=None)
    token, pins = owner_secrets(trip=trip)
    people = (
        integrations.trip_people(customer_id=trip.customer_id, driver_id=trip.driver_id, vehicle_id=trip.vehicle_id)
        if is_staff
        else None
    )
    return TripDetail(trip=trip, tracking_token=token, pins=pins if is_customer else None, people=people)


def timeline_of(*, caller: Caller, trip_id: uuid.UUID) -> QuerySet:
    """The timeline of a trip the caller may see (TripNotFound otherwise), oldest first: whether they may is one
    query for the trip's ties to people and fleet, judged in hand (trip_visible_to), not the trip with its stops."""
    trip = Trip.objects.only("customer_id", "booked_by_id", "driver_id", "fleet_id").filter(id=trip_id).first()
    if trip is None or not trip_visible_to(principal=caller.principal, trip=trip, driver_ids=caller.driver_ids):
        raise TripNotFound("no such trip")
    return TripLogEntry.objects.filter(trip_id=trip_id)


def fleet_staffed(*, caller: Caller, fleet_id: uuid.UUID) -> None:
    """NotFound unless the caller dispatches or manages the fleet (planning shifts, booking for a customer)."""
    if not caller.is_staff_of(fleet_id):
        raise NotFound("no such fleet", code="fleet.not_found")


def booker_role(*, caller: Caller, fleet_id: uuid.UUID) -> ActorRole:
    """Who books: the fleet's staff (as dispatcher, optionally for a customer) or a customer for themselves."""
    if caller.is_staff_of(fleet_id):
        return ActorRole.DISPATCHER
    if caller.principal.has_role(Role.CUSTOMER):
        return ActorRole.CUSTOMER
    raise NotFound("no such fleet", code="fleet.not_found")


def booking_for(
    *, caller: Caller, fleet_id: uuid.UUID, customer_id: uuid.UUID | None
) -> tuple[ActorRole, uuid.UUID | None]:
    """(who books, for which customer): a customer for themselves (`customer_id` ignored); the fleet's staff for
    nobody or for an active customer account (identity's; 400 `trips.customer_not_found` otherwise) — the rule
    `customers_to_book_for` offers customers by."""
    role = booker_role(caller=caller, fleet_id=fleet_id)
    if role != ActorRole.DISPATCHER:
        return role, caller.user_id
    if customer_id is not None and not integrations.customers_get(user_ids=[customer_id]):
        raise InvalidTrip(
            "no customer account with that id",
            code="trips.customer_not_found",
            extra={"errors": {"customer_id": ["Not a customer."]}},
        )
    return role, customer_id


SEARCH_MIN_LENGTH = 2
CUSTOMER_MATCHES = 10
PEOPLE_MATCHES = 200  # people identity names for a search's text, before narrowing to the fleet's (a cap on cost)


def customers_to_book_for(*, caller: Caller, fleet_id: uuid.UUID, text: str) -> list[CustomerRef]:
    """Customers the fleet's staff may book for (the accounts `booking_for` accepts) whose name or email contains
    `text`, at most CUSTOMER_MATCHES: among those who already have a trip with this fleet, or anyone's account by
    its exact email (a new caller spells it out), so one fleet's staff cannot browse every customer's name."""
    fleet_staffed(caller=caller, fleet_id=fleet_id)
    text = text.strip()
    matching = integrations.customer_ids_matching(text=text, limit=PEOPLE_MATCHES)
    known = Trip.objects.filter(fleet_id=fleet_id, customer_id__in=matching).order_by()
    known_ids = [i for i in known.values_list("customer_id", flat=True).distinct() if i is not None]
    return integrations.customers_find(text=text, known_ids=known_ids, limit=CUSTOMER_MATCHES)


_HEX = re.compile(r"[0-9a-f]+")


def trips_matching(*, trips: QuerySet, text: str, principal: Principal) -> QuerySet:
    """Of these trips (already what the caller may see), those whose id starts with `text` (hex, dashes or not),
    with a stop whose address contains it, or (only trips of a fleet the caller staffs: a driver or customer must
    not learn customers' emails by searching) whose customer's name or email or driver's name contains it
    (case-insensitive)."""
    text = text.strip()
    found = Q(Exists(Stop.objects.filter(trip_id=OuterRef("pk"), address__icontains=text)))
    compact = text.replace("-", "").lower()
    if _HEX.fullmatch(compact):
        found |= Q(id_hex__startswith=compact)
        trips = trips.annotate(id_hex=Replace(Cast("id", CharField()), Value("-"), Value("")))
    staffed = (
        Q() if principal.is_platform_admin else Q(fleet_id__in=principal.fleets(Role.FLEET_MANAGER, Role.DISPATCHER))
    )
    if principal.is_platform_admin or principal.fleets(Role.FLEET_MANAGER, Role.DISPATCHER):
        # identity names the people first (capped), the trips the caller sees narrow them: no list of every
        # customer the fleet ever had goes to identity
        matched = integrations.customer_ids_matching(text=text, limit=PEOPLE_MATCHES)
        if matched:
            found |= staffed & Q(customer_id__in=matched)
        fleets = None if principal.is_platform_admin else sorted(principal.fleets(Role.FLEET_MANAGER, Role.DISPATCHER))
        drivers = integrations.driver_ids_named(text=text, fleet_ids=fleets, limit=PEOPLE_MATCHES)
        if drivers:
            found |= staffed & Q(driver_id__in=drivers)
    return trips.filter(found)


def shift_visibility(*, principal: Principal, driver_ids: Set[uuid.UUID]) -> list[Q] | None:
    """Staff see their fleets' shifts; drivers their own: one condition per index that lists them latest first
    (None: every shift, for platform admins), paged branch by branch as the trips list is."""
    if principal.is_platform_admin:
        return None
    visible = [Q(driver_id=driver_id) for driver_id in sorted(driver_ids)]
    visible += [Q(fleet_id=fleet_id) for fleet_id in sorted(principal.fleets(Role.FLEET_MANAGER, Role.DISPATCHER))]
    return visible


def shifts_listed() -> QuerySet:
    """Shifts as the list shows them, latest start first, before narrowing to what the caller sees."""
    return Shift.objects.order_by("-starts_at", "-id")


def shifts_visible(*, principal: Principal, driver_ids: Set[uuid.UUID]) -> QuerySet:
    """Staff see their fleets' shifts; drivers their own."""
    qs = Shift.objects.order_by("starts_at")
    branches = shift_visibility(principal=principal, driver_ids=driver_ids)
    if branches is None:
        return qs
    visible = Q(pk__in=[])
    for branch in branches:
        visible |= branch
    return qs.filter(visible)


def shift_seen(*, caller: Caller, shift_id: uuid.UUID, as_staff: bool = False, as_driver: bool = False) -> Shift:
    """The shift if the caller may see it, and (`as_staff`) dispatches or manages its fleet, or (`as_driver`) drives
    it; NotFound otherwise."""
    shift = shifts_visible(principal=caller.principal, driver_ids=caller.driver_ids).filter(id=shift_id).first()
    if (
        shift is None
        or (as_staff and not caller.is_staff_of(shift.fleet_id))
        or (as_driver and shift.driver_id not in caller.driver_ids)
    ):
        raise NotFound("no such shift", code="trips.shift_not_found")
    return shift


def offers_mine(*, caller: Caller) -> QuerySet:
    """The caller's open offers, as a driver."""
    return offers_pending(driver_ids=caller.driver_ids)


PROOF_FILES = ("signature", "photo")


def proof_seen(*, caller: Caller, trip_id: uuid.UUID, sequence: int) -> ProofOfDelivery:
    """A drop-off's proof, for the trip's fleet staff and its customer (not its driver: it is theirs to capture,
    not to browse)."""
    trip = trip_for(principal=caller.principal, trip_id=trip_id)
    proof = proof_of(trip=trip, sequence=sequence) if trip else None
    if proof is None:
        raise NotFound("no proof of delivery here", code="trips.proof_not_found")
    return proof


def proof_file(*, caller: Caller, trip_id: uuid.UUID, sequence: int, which: str) -> tuple[object, str]:
    """(the open file, its content type) of a proof's signature or photo, for those who may see the proof."""
    if which not in PROOF_FILES:
        raise NotFound("proof files are signature and photo", code="trips.proof_not_found")
    proof = proof_seen(caller=caller, trip_id=trip_id, sequence=sequence)
    path = proof.signature_path if which == "signature" else proof.photo_path
    if not path:
        raise NotFound("nothing captured", code="trips.proof_not_found")
    return files.open_private(path), files.content_type_of(path)


def administered(queryset: QuerySet, *, principal: Principal | None, fleet_field: str = "fleet_id") -> QuerySet:
    """What the trips admin shows: everything to a platform admin, a fleet manager their fleets' rows, anyone
    else nothing."""
    if principal is None:
        return queryset.none()
    if principal.is_platform_admin:
        return queryset
    return queryset.filter(**{f"{fleet_field}__in": principal.fleets(Role.FLEET_MANAGER)})


def fares_of(*, trips) -> dict:
    """Billing's quoted and settled totals of these trips, in one call (trip id -> fare)."""
    return integrations.trip_fares(trips=list(trips))


# ---- tracking ------------------------------------------------------------------------------------------------

# A token is 32 URL-safe characters (domain.tracking_token); anything else is refused before the database.
_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,64}")


def tracking_page(*, token: str) -> dict:
    """What the public tracking page shows for a token, while its link is valid (NotFound otherwise)."""
    link = tracking_link(token=token)
    if link is None or link.expires_at <= timezone.now():
        raise NotFound("this tracking link is unknown or has expired", code="trips.tracking_expired")
    return tracking_view(trip=link.trip, token=token, expires_at=link.expires_at)


def tracking_link(*, token: str) -> TrackingLink | None:
    """The link behind a token, expired or not (None for a token nobody was given). Looked up by the SHA-256 of
    the token through a unique index: the database compares hashes, so how long a lookup takes tells nothing
    about how much of a guessed token was right."""
    if not _TOKEN.fullmatch(token or ""):
        return None
    return TrackingLink.objects.select_related("trip").filter(token_hash=domain.secret_hash(token)).first()


def tracking_for(*, token: str) -> Trip | None:
    """The trip behind a tracking token, while the link is valid (TrackingLink.expires_at)."""
    link = tracking_link(token=token)
    return link.trip if link is not None and link.expires_at > timezone.now() else None


def tracking_expired(*, link: TrackingLink) -> dict:
    """What the page for an expired link says: when it expired on the fleet's clock, and whom to ask."""
    brand = integrations.fleet_branding(fleet_id=link.trip.fleet_id)
    words = domain.tracking_words(brand.language if brand else "en")
    fleet = brand.name if brand else ""
    zone, locale = (brand.time_zone, brand.locale) if brand else ("UTC", "en")
    return {
        "language": brand.language if brand else "en",
        "fleet": _fleet_face(brand, token=None),
        "title": words["expired.title"],
        "body": words["expired.body"].format(
            date=formatting.local_datetime(link.expires_at, zone, locale), fleet=fleet or "LogiTrack"
        ),
        "words": words,
    }


def owner_secrets(*, trip: Trip) -> tuple[str | None, dict[int, str]]:
    """The tracking token (while its link is valid) and the drop-off PINs of the trip (trip_detail says who sees which).
    They are derived again from the secret key (the current one, or one it replaced: SECRET_KEY_FALLBACKS) and
    shown only when they match what was stored, so a trip booked before they were derived just shows none."""
    keys = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    links = set(
        TrackingLink.objects.filter(trip=trip, expires_at__gt=timezone.now()).values_list("token_hash", flat=True)
    )
    token = next(
        (t for t in (domain.tracking_token(secret=k, trip_id=trip.id) for k in keys) if domain.secret_hash(t) in links),
        None,
    )
    pins = {}
    for stop in trip.stops.all():
        if not stop.pin_hash:
            continue
        for key in keys:
            pin = domain.drop_off_pin(secret=key, trip_id=trip.id, sequence=stop.sequence)
            if domain.secret_hash(pin) == stop.pin_hash:
                pins[stop.sequence] = pin
                break
    return token, pins


def proof_of(*, trip: Trip, sequence: int):
    return ProofOfDelivery.objects.filter(stop__trip=trip, stop__sequence=sequence).first()


def _fleet_face(brand, *, token: str | None) -> dict:
    """The fleet as its customers see it: name, accent colour and (for a valid link) its logo's address."""
    if brand is None:
        return {"name": "", "colour": "#0b7a75", "logo_url": None, "language": "en", "time_zone": "UTC"}
    logo = f"/track/{token}/logo.png?v={brand.logo_version}" if token and brand.logo_version else None
    return {
        "name": brand.name,
        "colour": brand.colour,
        "logo_url": logo,
        "language": brand.language,
        "time_zone": brand.time_zone,
    }


def tracking_view(*, trip: Trip, token: str, expires_at: dt.datetime) -> dict:
    """What a tracking page shows: status and timeline in the fleet's words and on its clock, the addresses the
    customer booked (their positions to about 100 m), the driver's first name, the vehicle, the next stop's ETA
    and the driver's rough position while the trip moves. No ids but the token, no phones, no exact positions."""
    driver, vehicle = integrations.tracking_details(driver_id=trip.driver_id, vehicle_id=trip.vehicle_id)
    brand = integrations.fleet_branding(fleet_id=trip.fleet_id)
    words = domain.tracking_words(brand.language if brand else "en")
    zone, locale = (brand.time_zone, brand.locale) if brand else ("UTC", "en")
    stops = list(trip.stops.all())
    marks = dict(
        TripLogEntry.objects.filter(trip=trip, to_status__in=[TripStatus.ASSIGNED, TripStatus.IN_PROGRESS])
        .exclude(from_status=F("to_status"))
        .order_by("at", "id")
        .values_list("to_status", "at")
    )  # the latest time each was entered: a reassignment or an unassigned trip assigned again counts anew
    picked_up = marks.get(TripStatus.IN_PROGRESS) or next(
        (s.finished_at for s in stops if s.kind == StopKind.PICKUP and s.status == StopStatus.DONE), None
    )
    steps = domain.tracking_steps(
        status=trip.status,
        created_at=trip.created_at,
        assigned_at=marks.get(TripStatus.ASSIGNED) if trip.status != TripStatus.REQUESTED else None,
        picked_up_at=picked_up if trip.status in (*MOVING, *TERMINAL_STATUSES) else None,
        ended_at=trip.ended_at,
    )
    live = _live_estimate(trip)
    next_stop = next((s for s in stops if s.status in (StopStatus.PENDING, StopStatus.ARRIVED)), None)
    if trip.status in TERMINAL_STATUSES:
        next_stop = None
    eta_text = None
    if live["eta"] is not None and next_stop is not None:
        key = "eta.pickup" if next_stop.kind == StopKind.PICKUP else "eta"
        eta_text = words[key].format(time=formatting.local_time(live["eta"], zone, locale))
    if vehicle is not None:
        vehicle = {**vehicle, "type_text": words.get(f"vehicle.{vehicle['type']}", vehicle["type"])}

    def when(value: dt.datetime | None) -> str | None:
        return _local_when(value, zone, locale) if value else None

    return {
        "status": trip.status,
        "status_text": domain.tracking_status_text(words, status=trip.status, service=trip.service, driver=driver),
        "service": trip.service,
        "version": trip.version,
        "stops": [
            {
                "sequence": s.sequence,
                "kind": s.kind,
                "status": s.status,
                "label": words[f"stop.{s.kind}"],
                "address": s.address,
                "lat": round(s.lat, domain.STOP_DECIMALS),
                "lng": round(s.lng, domain.STOP_DECIMALS),
                "finished_at": s.finished_at,
                "finished_local": when(s.finished_at),
            }
            for s in stops
        ],
        "next_stop": next_stop.sequence if next_stop is not None else None,
        "timeline": [
            {
                "step": s.step,
                "state": s.state,
                "label": words.get(f"step.{s.step}.ride" if trip.service == "ride" else "", words[f"step.{s.step}"]),
                "at": s.at,
                "at_local": when(s.at),
            }
            for s in steps
        ],
        "driver_first_name": driver,
        "vehicle": vehicle,
        **live,
        "eta_local": formatting.local_time(live["eta"], zone, locale) if live["eta"] else None,
        "eta_text": eta_text,
        "fleet": _fleet_face(brand, token=token),
        "expires_at": expires_at,
    }


def _local_when(value: dt.datetime, zone: str, locale: str) -> str:
    """A time on the fleet's clock: "14:35" today, "5 Dec, 14:35" on another day."""
    tz = formatting.zone(zone)
    if value.astimezone(tz).date() == timezone.now().astimezone(tz).date():
        return formatting.local_time(value, zone, locale)
    return formatting.local_datetime(value, zone, locale, format="d MMM, HH:mm" if locale.startswith("de") else None)


TRACKING_POSITION_FRESH = dt.timedelta(minutes=5)
MOVING = frozenset({TripStatus.EN_ROUTE, TripStatus.AT_PICKUP, TripStatus.IN_PROGRESS})


def _live_estimate(trip: Trip) -> dict:
    """The ETA and the driver's rough position (domain.rough_position: a few hundred metres), only while the trip
    moves and the estimate is fresh: an old fix would mislead more than no fix."""
    fresh = trip.tracking_at is not None and timezone.now() - trip.tracking_at <= TRACKING_POSITION_FRESH
    if not fresh or trip.status not in {*MOVING, TripStatus.ASSIGNED}:
        return {"eta": None, "driver_position": None}
    position = None
    if trip.status in MOVING and trip.tracking_lat is not None and trip.tracking_lng is not None:
        lat, lng = domain.rough_position(trip.tracking_lat, trip.tracking_lng)
        position = {"lat": lat, "lng": lng}
    return {"eta": trip.eta_at, "driver_position": position}


def offers_pending(*, driver_ids: Set[uuid.UUID]) -> QuerySet:
    return Offer.objects.filter(
        driver_id__in=driver_ids, status=Offer.Status.PENDING, expires_at__gt=timezone.now()
    ).order_by("expires_at")


def actor_role(*, caller: Caller, trip: Trip, action: str) -> ActorRole:
    """Who the caller is for this trip: its driver, its fleet's dispatcher, or its customer."""
    is_driver = trip.driver_id is not None and trip.driver_id in caller.driver_ids
    is_staff = caller.is_staff_of(trip.fleet_id)
    if is_driver and (action in domain.DRIVER_ACTIONS or not is_staff):
        return ActorRole.DRIVER
    if is_staff:
        return ActorRole.DISPATCHER
    return ActorRole.CUSTOMER


def trip_with_stops(*, trip_id: uuid.UUID) -> Trip:
    trip = Trip.objects.prefetch_related("stops").filter(id=trip_id).first()
    if trip is None:
        raise TripNotFound("no such trip")
    return trip


def trips_open(*, fleet_id: uuid.UUID, trip_ids: list[uuid.UUID] | None = None) -> QuerySet:
    trips = Trip.objects.filter(fleet_id=fleet_id).exclude(status__in=TERMINAL_STATUSES)
    if trip_ids is not None:
        trips = trips.filter(id__in=trip_ids)
    return trips.prefetch_related("stops").order_by("created_at")


def trips_of_drivers(*, driver_ids: list[uuid.UUID]) -> QuerySet:
    held = [TripStatus.ASSIGNED, *MOVING]
    return Trip.objects.filter(driver_id__in=driver_ids, status__in=held).prefetch_related("stops")


SHIFT_LEAD = dt.timedelta(minutes=30)  # a trip may go on a shift that starts within this (as trip_assign allows)


def shifts_open(*, fleet_id: uuid.UUID, at: dt.datetime, driver_ids: list[uuid.UUID] | None = None) -> QuerySet:
    shifts = Shift.objects.filter(
        fleet_id=fleet_id,
        status__in=[Shift.Status.PLANNED, Shift.Status.STARTED],
        starts_at__lte=at + SHIFT_LEAD,
        ends_at__gt=at,
    )
    if driver_ids is not None:
        shifts = shifts.filter(driver_id__in=driver_ids)
    open_trips = Trip.objects.exclude(status__in=TERMINAL_STATUSES).only("id", "shift_id", "weight_kg", "seats")
    return shifts.prefetch_related(Prefetch("trips", queryset=open_trips, to_attr="open_trips")).order_by("starts_at")


def vehicle_drivers(*, vehicle_id: uuid.UUID, since: dt.datetime) -> list[uuid.UUID]:
    """Drivers with a planned or started shift on the vehicle that has not ended by `since`, first shift first."""
    rows = (
        Shift.objects.filter(
            vehicle_id=vehicle_id, status__in=[Shift.Status.PLANNED, Shift.Status.STARTED], ends_at__gt=since
        )
        .order_by("starts_at")
        .values_list("driver_id", flat=True)
    )
    return list(dict.fromkeys(rows))


# ---- the manager's overview: the daily figures services/figures.py keeps, and a few small live reads ----------


def overview_figures(*, fleet_ids: list[uuid.UUID], days: int, now: dt.datetime, recent: int) -> TripFigures:
    """The overview's trip figures of these fleets over the `days` ending today (`now` in each fleet's zone). Every
    query reads per-day rows or the few live rows (today's trips, open trips, running shifts, the period's
    cancelled and failed trips): none grows with the history."""
    zones = integrations.fleet_time_zones(fleet_ids=fleet_ids)
    by_zone: dict[str, list[uuid.UUID]] = {}
    for fleet_id, time_zone in zones.items():
        by_zone.setdefault(time_zone, []).append(fleet_id)
    today = max((now.astimezone(zone(z)).date() for z in by_zone), default=timezone.localdate(now))
    first = today - dt.timedelta(days=days - 1)
    since = min((_midnight_of(first, z) for z in by_zone), default=now)
    return TripFigures(
        today=today,
        today_by_status=_today_by_status(by_zone, now),
        open_from_earlier_days=_open_earlier(by_zone, now),
        drivers=_drivers(fleet_ids, first, today, zones, now),
        vehicles=tuple(
            VehicleFigures(vehicle_id=row["vehicle_id"], trips_completed=row["trips"])
            for row in DriverDay.objects.filter(fleet_id__in=fleet_ids, day__gte=first, day__lte=today)
            .values("vehicle_id")
            .annotate(trips=Sum("trips_completed"))
            .filter(trips__gt=0)
            .order_by("vehicle_id")
        ),
        ended_badly=_ended_badly(fleet_ids, since, recent),
    )


def _midnight_of(day: dt.date, time_zone: str) -> dt.datetime:
    """The start of a local day in the zone."""
    return dt.datetime.combine(day, dt.time.min, tzinfo=zone(time_zone))


def _today_by_status(by_zone: dict[str, list[uuid.UUID]], now: dt.datetime) -> tuple[StatusCount, ...]:
    today = Q(pk__in=[])
    for time_zone, fleets in by_zone.items():
        day = now.astimezone(zone(time_zone)).date()
        start, end = _midnight_of(day, time_zone), _midnight_of(day + dt.timedelta(days=1), time_zone)
        today |= Q(fleet_id__in=fleets, wanted__gte=start, wanted__lt=end)
    rows = Trip.objects.annotate(wanted=WANTED_AT).filter(today).order_by().values("status").annotate(n=Count("id"))
    counts = {row["status"]: row["n"] for row in rows}
    return tuple(StatusCount(status=status, count=counts.get(status, 0)) for status in TripStatus)


def _open_earlier(by_zone: dict[str, list[uuid.UUID]], now: dt.datetime) -> int:
    earlier = Q(pk__in=[])
    for time_zone, fleets in by_zone.items():
        earlier |= Q(fleet_id__in=fleets, wanted__lt=_midnight_of(now.astimezone(zone(time_zone)).date(), time_zone))
    # the open statuses by name (a NOT IN could not use the status index): few rows, whatever the history
    open_trips = Trip.objects.filter(status__in=[s for s in TripStatus if s not in TERMINAL_STATUSES])
    return open_trips.annotate(wanted=WANTED_AT).filter(earlier).count()


def trip_days(*, fleet_ids: list[uuid.UUID], first: dt.date, last: dt.date) -> list[TripDayFigures]:
    """Every local day from `first` to `last` (oldest first), summed over the fleets; a day without ended trips is
    zeros."""
    sums = ("completed", "cancelled", "failed", "stops_windowed", "stops_on_time")
    rows = (
        TripDay.objects.filter(fleet_id__in=fleet_ids, day__gte=first, day__lte=last)
        .values("day")
        .annotate(**{name: Sum(name) for name in sums})
    )
    found: dict[dt.date, dict[str, int]] = {row["day"]: {name: row[name] for name in sums} for row in rows}  # type: ignore[literal-required]
    period = [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]
    return [TripDayFigures(day=day, **found.get(day, dict.fromkeys(sums, 0))) for day in period]


def _drivers(
    fleet_ids: list[uuid.UUID], first: dt.date, today: dt.date, zones: dict[uuid.UUID, str], now: dt.datetime
) -> tuple[DriverFigures, ...]:
    totals: dict[uuid.UUID, list[int]] = {}  # driver -> [trips completed, on trip s, on shift s]
    rows = (
        DriverDay.objects.filter(fleet_id__in=fleet_ids, day__gte=first, day__lte=today)
        .values("driver_id")
        .annotate(trips=Sum("trips_completed"), on_trip=Sum("on_trip_s"), on_shift=Sum("on_shift_s"))
    )
    for driver_id, trips, on_trip, on_shift in rows.values_list("driver_id", "trips", "on_trip", "on_shift"):
        totals[driver_id] = [trips, on_trip, on_shift]
    running = list(Shift.objects.filter(fleet_id__in=fleet_ids, status=Shift.Status.STARTED, started_at__lte=now))
    spans: dict[uuid.UUID, list[tuple]] = {}
    for shift_id, started, ended in Trip.objects.filter(shift__in=running).values_list(
        "shift_id", "started_at", "ended_at"
    ):
        spans.setdefault(shift_id, []).append((started, ended or (now if started else None)))
    for shift in running:
        assert shift.started_at is not None  # a started shift has its start
        if shift.started_at < _midnight_of(first, zones[shift.fleet_id]):
            continue  # began before the period: not the period's shift
        counts = totals.setdefault(shift.driver_id, [0, 0, 0])
        counts[1] += domain.seconds_on_trips(shift_start=shift.started_at, shift_end=now, trips=spans.get(shift.id, []))
        counts[2] += int((now - shift.started_at).total_seconds())
    return tuple(
        DriverFigures(driver_id=driver_id, trips_completed=trips, on_trip_s=on_trip, on_shift_s=on_shift)
        for driver_id, (trips, on_trip, on_shift) in sorted(totals.items(), key=lambda item: str(item[0]))
    )


def _ended_badly(fleet_ids: list[uuid.UUID], since: dt.datetime, recent: int) -> tuple[EndedTrip, ...]:
    trips = list(
        Trip.objects.filter(
            fleet_id__in=fleet_ids, status__in=[TripStatus.CANCELLED, TripStatus.FAILED], ended_at__gte=since
        )
        .order_by("-ended_at")
        .prefetch_related("stops")[:recent]
    )
    ended_by = dict(
        TripLogEntry.objects.filter(
            trip_id__in=[t.id for t in trips], to_status__in=[TripStatus.CANCELLED, TripStatus.FAILED]
        ).values_list("trip_id", "actor_role")
    )
    found = []
    for trip in trips:
        stops = list(trip.stops.all())
        assert trip.ended_at is not None  # an ended trip
        found.append(
            EndedTrip(
                id=trip.id,
                fleet_id=trip.fleet_id,
                status=TripStatus(trip.status),
                ended_at=trip.ended_at,
                reason=trip.end_reason,
                ended_by=ActorRole(ended_by[trip.id]) if trip.id in ended_by else None,
                customer_id=trip.customer_id,
                driver_id=trip.driver_id,
                pickup_address=stops[0].address if stops else "",
                dropoff_address=stops[-1].address if stops else "",
            )
        )
    return tuple(found)


def trip_report_lines(
    *, fleet_id: uuid.UUID, first: dt.date, last: dt.date, customer_id: uuid.UUID | None = None, routes: bool = False
) -> list[TripReportLine]:
    """The fleet's ended trips wanted on its local days `first`..`last` (at most REPORT_MAX_DAYS), oldest first.
    Raw rows, not DriverDay: a report needs on-time per driver and vehicle and each trip's id to meet its fare. One
    query over the index `trip_fleet_wanted`, stops counted in it (domain.stop_punctuality's rule, in SQL), tuples
    rather than models, so 93 days of a busy fleet stay a matter of a second; `routes` adds the first and last stop's
    address (a statement's few trips)."""
    if last < first or (last - first).days >= REPORT_MAX_DAYS:
        raise InvalidTrip(f"a report covers 1 to {REPORT_MAX_DAYS} days")
    tz = zone(integrations.fleet_time_zones(fleet_ids=[fleet_id])[fleet_id])
    start = dt.datetime.combine(first, dt.time(), tzinfo=tz)
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), tzinfo=tz)
    ended_with_stops = Q(status__in=[TripStatus.COMPLETED, TripStatus.FAILED], stops__window_end__isnull=False)
    reached = Coalesce(
        "stops__arrived_at",
        "stops__finished_at",
        Case(When(status=TripStatus.COMPLETED, stops__status=StopStatus.DONE, then=F("ended_at"))),
    )
    trips = (
        Trip.objects.annotate(wanted=WANTED_AT)
        .filter(fleet_id=fleet_id, wanted__gte=start, wanted__lt=end, status__in=TERMINAL_STATUSES)
        .annotate(
            windowed=Count("stops", filter=ended_with_stops),
            on_time=Count("stops", filter=ended_with_stops & Q(stops__window_end__gte=reached)),
        )
        .order_by("wanted", "id")
    )
    if customer_id is not None:
        trips = trips.filter(customer_id=customer_id)
    fields = ["id", "status", "wanted", "customer_id", "driver_id", "vehicle_id", "windowed", "on_time"]
    if routes:
        in_order = Stop.objects.filter(trip_id=OuterRef("id"))
        trips = trips.annotate(
            pickup=Subquery(in_order.order_by("sequence").values("address")[:1]),
            dropoff=Subquery(in_order.order_by("-sequence").values("address")[:1]),
        )
        fields += ["pickup", "dropoff"]
    lines = []
    for row in trips.values_list(*fields):
        trip_id, status, wanted, customer, driver, vehicle, windowed, on_time, *route = row
        lines.append(
            TripReportLine(
                trip_id=trip_id,
                reference=trip_id.hex[:8].upper(),
                status=TripStatus(status),
                day=wanted.astimezone(tz).date(),
                wanted_at=wanted,
                customer_id=customer,
                driver_id=driver,
                vehicle_id=vehicle,
                pickup_address=route[0] or "" if route else "",
                dropoff_address=(route[1] or "" if route[1] != route[0] else "") if route else "",
                stops_windowed=windowed,
                stops_on_time=on_time,
            )
        )
    return lines


def trip_customers(*, fleet_id: uuid.UUID, first: dt.date, last: dt.date) -> list[uuid.UUID]:
    """The customers with ended trips of the fleet wanted on its local days `first`..`last` (one DISTINCT over the
    index `trip_fleet_wanted`)."""
    if last < first or (last - first).days >= REPORT_MAX_DAYS:
        raise InvalidTrip(f"a report covers 1 to {REPORT_MAX_DAYS} days")
    tz = zone(integrations.fleet_time_zones(fleet_ids=[fleet_id])[fleet_id])
    start = dt.datetime.combine(first, dt.time(), tzinfo=tz)
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), tzinfo=tz)
    found = (
        Trip.objects.annotate(wanted=WANTED_AT)
        .filter(fleet_id=fleet_id, wanted__gte=start, wanted__lt=end, status__in=TERMINAL_STATUSES)
        .exclude(customer_id=None)
        .values_list("customer_id", flat=True)
        .distinct()
    )
    return sorted((c for c in found if c is not None), key=str)
