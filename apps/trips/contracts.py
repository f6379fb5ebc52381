"""Framework-free types the trips context shares: frozen dataclasses, enums, error types."""

from __future__ import annotations

import enum


class CancelledBy(enum.StrEnum):
    CUSTOMER = "customer"
    DISPATCHER = "dispatcher"
    DRIVER = "driver"
    SYSTEM = "system"
