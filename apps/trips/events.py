"""Integration events the trips context publishes (versioned; see logitrack.events)."""
