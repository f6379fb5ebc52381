"""Field settings shared by identity's input serializers."""

from __future__ import annotations

PASSWORD = {"max_length": 4096, "trim_whitespace": False, "style": {"input_type": "password"}}
PHONE = r"^\+[1-9]\d{6,14}$"  # E.164
