"""Framework-free types the trips context shares: frozen dataclasses, enums, error types."""
