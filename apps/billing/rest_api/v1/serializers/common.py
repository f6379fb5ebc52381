"""Fields and parameters the billing REST serializers and views share."""

from __future__ import annotations

import uuid

from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers

FLEET_PARAM = OpenApiParameter("fleet_id", uuid.UUID, description="which fleet, when you drive for several")
CURRENCY = serializers.RegexField(r"^[A-Z]{3}$")
MAX_MINOR = 10**12  # far above any real amount, and inside the ledger's 64-bit columns
