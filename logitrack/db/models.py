"""Model base classes every context uses."""

import uuid
from typing import ClassVar

from django.db import models


class BaseModel(models.Model):
    """UUID primary key (safe to expose and to reference from other contexts) and timestamps."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True
        ordering: ClassVar[tuple[str, ...]] = ("-created_at",)  # subclasses' Meta may order by more fields
