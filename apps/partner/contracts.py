"""Framework-free types the partner context shares: frozen dataclasses, enums, error types."""
