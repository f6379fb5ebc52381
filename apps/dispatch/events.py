"""Integration events the dispatch context publishes (versioned; see logitrack.events)."""
