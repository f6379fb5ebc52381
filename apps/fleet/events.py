"""Integration events the fleet context publishes (versioned; see logitrack.events)."""
