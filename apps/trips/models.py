"""Tables owned by the trips context. Foreign identities are UUIDs, never relations."""
