"""What every fleet service needs: a model's field rules answered as the context's 400."""

from __future__ import annotations

from django.core.exceptions import ValidationError

from apps.fleet.contracts import InvalidFleetData


def invalid(exc: ValidationError) -> InvalidFleetData:
    errors = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
    return InvalidFleetData("some values are not valid", extra={"errors": errors})


def validate(instance, exclude: list[str] | None = None) -> None:
    """Field rules as 400s; uniqueness is left to the database, whose IntegrityError we answer with 409."""
    try:
        instance.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        raise invalid(exc) from None
