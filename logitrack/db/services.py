"""Write helpers shared by services."""

from typing import Any, TypeVar

from django.db import models

M = TypeVar("M", bound=models.Model)


def model_update(
    *,
    instance: M,
    fields: list[str] | tuple[str, ...],
    data: dict[str, Any],
    exclude: list[str] | None = None,
    validate_unique: bool = True,
    validate_constraints: bool = True,
) -> tuple[M, bool]:
    """Set the listed fields present in `data`, validate, and save only what changed (with `updated_at`).

    Validation is `Model.full_clean`, given `exclude`, `validate_unique` and `validate_constraints` as they are
    (a service that leaves uniqueness to the database, answering its IntegrityError, turns them off); its
    ValidationError reaches the caller, which says it in its own context's terms. Nothing is saved when no
    field changed. Returns the instance and whether anything changed.
    """
    changed = [f for f in fields if f in data and getattr(instance, f) != data[f]]
    for name in changed:
        setattr(instance, name, data[name])
    if changed:
        instance.full_clean(exclude=exclude, validate_unique=validate_unique, validate_constraints=validate_constraints)
        update_fields = changed + (["updated_at"] if hasattr(instance, "updated_at") else [])
        instance.save(update_fields=update_fields)
    return instance, bool(changed)
