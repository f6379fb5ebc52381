"""Tables owned by the partner context. Foreign identities are UUIDs, never relations."""
