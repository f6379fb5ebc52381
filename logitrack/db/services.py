"""Write helpers shared by services.

`model_update` is the one way a service updates a model from a dict of fields (a serializer's
`validated_data`, a form's `cleaned_data`): it sets only what changed, validates, and saves only those
columns. The service still owns the rules around it — locking the row, refusing fields the caller may not
edit, turning `ValidationError` into its own `ApplicationError`, publishing events::

    @transaction.atomic
    def fleet_settings_update(*, fleet_id: uuid.UUID, data: dict[str, Any]) -> Fleet:
        fleet = Fleet.objects.select_for_update().get(id=fleet_id)
        refused = sorted(set(data) - set(FLEET_SETTINGS))
        if refused:
            raise InvalidFleetData(...)
        fleet, changed = model_update(instance=fleet, fields=FLEET_SETTINGS, data=data, validate_unique=False)
        ...
"""

from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

from django.db import models

M = TypeVar("M", bound=models.Model)


def model_update(
    *,
    instance: M,
    fields: Iterable[str],
    data: Mapping[str, Any],
    exclude: Iterable[str] | None = None,
    validate_unique: bool = True,
    validate_constraints: bool = True,
) -> tuple[M, list[str]]:
    """Set the `fields` present in `data` whose value differs, validate, and save only those columns.

    - Keys of `data` that are not in `fields` are ignored (refuse them in the service first if a caller
      must not send them). A field in `data` with the value it already has is not a change.
    - When nothing changed, nothing is validated or saved (no query is made).
    - Otherwise `Model.full_clean` runs after the new values are set, given `exclude`, `validate_unique` and
      `validate_constraints` as they are (a service that leaves uniqueness to the database and answers its
      IntegrityError turns them off); its ValidationError reaches the caller, which says it in its own
      context's terms. Then `instance.save(update_fields=...)` writes the changed columns, plus `updated_at`
      when the model has that field (so `auto_now` still moves).
    - Returns the instance and the names of the changed fields, in the order of `fields` (an empty list,
      which is falsy, when nothing changed), so a caller can act on what changed: `if "name" in changed: ...`.

    If validation fails, the instance keeps the new values in memory and nothing is saved; let the error
    roll back the service's transaction. Call it inside that transaction, on a row it locked
    (`select_for_update`) if concurrent writers are possible. Only concrete fields (not many-to-many) can
    be updated this way.
    """
    changed = [name for name in dict.fromkeys(fields) if name in data and getattr(instance, name) != data[name]]
    if not changed:
        return instance, []
    for name in changed:
        setattr(instance, name, data[name])
    instance.full_clean(
        exclude=list(exclude) if exclude is not None else None,
        validate_unique=validate_unique,
        validate_constraints=validate_constraints,
    )
    concrete = {field.name for field in instance._meta.concrete_fields}
    update_fields = [*changed, "updated_at"] if "updated_at" in concrete and "updated_at" not in changed else changed
    instance.save(update_fields=update_fields)
    return instance, changed
