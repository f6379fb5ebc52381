"""Framework-free types the billing context shares: frozen dataclasses, enums, error types."""
