"""Boundaries import-linter cannot see, each checked on the real code and on a planted violation."""

import importlib
import importlib.util
import types
import uuid
from pathlib import Path

import pytest
from django.apps import apps as django_apps
from django.db import models
from django.test.utils import isolate_apps

from tests.architecture import rules

ROOT = Path(__file__).resolve().parents[2]
SNAPSHOTS = Path(__file__).parent / "event_schemas"


# ---- no relation crosses a context ----------------------------------------------------------


def test_no_relation_field_crosses_a_context():
    offenders = rules.cross_context_relations(django_apps.get_models())
    assert not offenders, "store the foreign id as a UUIDField instead:\n" + "\n".join(offenders)


@isolate_apps("apps.trips", "apps.fleet")
def test_relation_rule_catches_a_planted_foreign_key():
    class Vehicle(models.Model):
        class Meta:
            app_label = "fleet"

    class Trip(models.Model):
        vehicle = models.ForeignKey(Vehicle, on_delete=models.PROTECT)
        vehicle_ref = models.UUIDField(default=uuid.uuid4)  # the right way: not reported

        class Meta:
            app_label = "trips"

    assert rules.cross_context_relations([Vehicle, Trip]) == ["trips.Trip.vehicle -> fleet.Vehicle"]


@isolate_apps("apps.billing", "apps.identity")
def test_relation_rule_catches_a_planted_user_foreign_key():
    from apps.identity.models import User

    class Wallet(models.Model):
        owner = models.OneToOneField(User, on_delete=models.PROTECT)

        class Meta:
            app_label = "billing"

    assert rules.cross_context_relations([Wallet]) == ["billing.Wallet.owner -> identity.User"]


# ---- api.py shape ---------------------------------------------------------------------------


@pytest.mark.parametrize("context", rules.CALLED_CONTEXTS)
def test_public_api_is_keyword_only_and_returns_contracts(context):
    module = importlib.import_module(f"apps.{context}.api")
    assert rules.api_shape_violations(module) == []


def test_nothing_can_call_notifications():
    assert importlib.util.find_spec("apps.notifications.api") is None


def test_api_rule_catches_planted_violations():
    from apps.identity.models import User

    fake = types.ModuleType("apps.fake.api")

    def user_get(user_id: uuid.UUID) -> User:  # positional and returns a model
        raise NotImplementedError

    def users_list(*, ids: list[uuid.UUID]) -> list[User]:
        raise NotImplementedError

    def untyped(*, x: int):
        raise NotImplementedError

    def fine(*, user_id: uuid.UUID) -> dict[str, uuid.UUID] | None:
        raise NotImplementedError

    for fn in (user_get, users_list, untyped, fine):
        fn.__module__ = fake.__name__
        setattr(fake, fn.__name__, fn)

    found = rules.api_shape_violations(fake)
    assert found == [
        "apps.fake.api.untyped: annotate the return type",
        "apps.fake.api.user_get: arguments must be keyword-only (def user_get(*, ...))",
        "apps.fake.api.user_get: returns User, an ORM object; return a contract",
        "apps.fake.api.users_list: returns User, an ORM object; return a contract",
    ]


# ---- event schemas match committed snapshots ----------------------------------------------------


def test_event_schemas_match_their_committed_snapshots():
    offenders = rules.event_schema_drift(rules.context_events(), SNAPSHOTS)
    assert not offenders, "\n".join(offenders)


def test_event_rule_tells_compatible_from_breaking_changes(tmp_path):
    import dataclasses

    from logitrack.events import IntegrationEvent

    @dataclasses.dataclass(frozen=True, kw_only=True)
    class ParcelScannedV1(IntegrationEvent):
        TYPE = "logitrack.archtest.parcel.scanned.v1"
        parcel_id: uuid.UUID
        depot: str

    rules.write_event_snapshots({ParcelScannedV1.TYPE: ParcelScannedV1}, tmp_path)
    assert rules.event_schema_drift({ParcelScannedV1.TYPE: ParcelScannedV1}, tmp_path) == []

    @dataclasses.dataclass(frozen=True, kw_only=True)
    class Added(IntegrationEvent):
        parcel_id: uuid.UUID
        depot: str
        scanner: str = ""

    @dataclasses.dataclass(frozen=True, kw_only=True)
    class Retyped(IntegrationEvent):
        parcel_id: str
        depot: str

    @dataclasses.dataclass(frozen=True, kw_only=True)
    class NewRequired(IntegrationEvent):
        parcel_id: uuid.UUID
        depot: str
        weight_g: int

    t = ParcelScannedV1.TYPE
    for variant in (Added, Retyped, NewRequired):
        variant.TYPE = t  # set after creation: the same wire type, without registering a second class
    assert "compatible change" in rules.event_schema_drift({t: Added}, tmp_path)[0]
    assert "incompatible change to ['parcel_id']" in rules.event_schema_drift({t: Retyped}, tmp_path)[0]
    assert "incompatible change to ['weight_g']" in rules.event_schema_drift({t: NewRequired}, tmp_path)[0]
    assert "no snapshot" in rules.event_schema_drift({t: Added}, tmp_path / "empty")[0]
    (tmp_path / "logitrack.archtest.parcel.dropped.v1.json").write_text("{}")
    assert any("event is gone" in o for o in rules.event_schema_drift({t: ParcelScannedV1}, tmp_path))


def test_a_nested_shape_may_gain_a_defaulted_field_but_not_a_required_one(tmp_path):
    import dataclasses

    from logitrack.events import IntegrationEvent, from_envelope, to_envelope

    @dataclasses.dataclass(frozen=True, kw_only=True)
    class Parcel:
        parcel_id: uuid.UUID
        weight_g: int

    @dataclasses.dataclass(frozen=True, kw_only=True)
    class ParcelLoadedV1(IntegrationEvent):
        TYPE = "logitrack.archtest.parcel.loaded.v1"
        parcel: Parcel
        others: tuple[Parcel, ...] = ()

    rules.write_event_snapshots({ParcelLoadedV1.TYPE: ParcelLoadedV1}, tmp_path)

    @dataclasses.dataclass(frozen=True, kw_only=True)
    class Parcel:  # the same shape, a field added
        parcel_id: uuid.UUID
        weight_g: int
        fragile: bool = False

    with_fragile = Parcel

    @dataclasses.dataclass(frozen=True, kw_only=True)
    class WithDefault(IntegrationEvent):
        parcel: Parcel
        others: tuple[Parcel, ...] = ()

    @dataclasses.dataclass(frozen=True, kw_only=True)
    class Parcel:  # the same shape, a required field added
        parcel_id: uuid.UUID
        weight_g: int
        depot: str

    @dataclasses.dataclass(frozen=True, kw_only=True)
    class WithRequired(IntegrationEvent):
        parcel: Parcel
        others: tuple[Parcel, ...] = ()

    t = ParcelLoadedV1.TYPE
    for variant in (WithDefault, WithRequired):
        variant.TYPE = t
    assert "compatible change" in rules.event_schema_drift({t: WithDefault}, tmp_path)[0]
    assert (
        "incompatible change to ['others.depot', 'parcel.depot']"
        in (rules.event_schema_drift({t: WithRequired}, tmp_path)[0])
    )

    # and a reader of the old shape takes the new one: the field it does not know is skipped
    newer = to_envelope(WithDefault(parcel=with_fragile(parcel_id=uuid.uuid4(), weight_g=250, fragile=True)))
    newer["type"] = t
    read = from_envelope(newer)
    assert isinstance(read, ParcelLoadedV1) and read.parcel.weight_g == 250


# ---- no apps.get_model across contexts -------------------------------------------------------


def test_no_context_loads_another_contexts_models_by_name():
    offenders = rules.cross_context_get_model(ROOT / "apps")
    assert not offenders, "\n".join(offenders)


def test_get_model_rule_catches_a_planted_call(tmp_path):
    for context in rules.CONTEXTS:
        (tmp_path / context / "migrations").mkdir(parents=True)
    (tmp_path / "trips" / "selectors.py").write_text(
        "from django.apps import apps\n\n"
        "def own():\n    return apps.get_model('trips', 'Trip')\n\n"
        "def sneaky():\n    return apps.get_model('fleet', 'Vehicle')\n"
    )
    (tmp_path / "trips" / "migrations" / "0002_data.py").write_text(
        "def f(apps, s):\n    apps.get_model('fleet.Vehicle')\n"
    )
    offenders = rules.cross_context_get_model(tmp_path)
    assert len(offenders) == 1
    assert offenders[0].endswith("selectors.py:7: get_model('fleet') from trips")


def test_the_events_catalogue_is_generated_from_the_code():
    """docs/events-catalogue.md lists every event and subscriber; regenerate it when events change."""
    from django.conf import settings

    from logitrack.outbox import catalogue

    path = Path(settings.BASE_DIR) / "docs" / "events-catalogue.md"
    assert path.read_text() == catalogue.render(), "run `python manage.py outbox_catalogue` and commit the result"
