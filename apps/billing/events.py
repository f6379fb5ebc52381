"""Integration events the billing context publishes (versioned; see logitrack.events)."""
