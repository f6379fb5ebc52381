"""Tables owned by the fleet context. Foreign identities are UUIDs, never relations."""
