"""Framework-free types the fleet context shares: frozen dataclasses, enums, error types."""
