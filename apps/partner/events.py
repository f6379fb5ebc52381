"""Integration events the partner context publishes (versioned; see logitrack.events)."""
