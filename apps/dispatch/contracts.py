"""Framework-free types the dispatch context shares: frozen dataclasses, enums, error types."""
