"""Framework-free types the identity context shares: frozen dataclasses, enums, error types."""
