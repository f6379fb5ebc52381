"""Integration events the identity context publishes (versioned; see logitrack.events)."""
