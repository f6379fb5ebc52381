"""Tables owned by the billing context. Foreign identities are UUIDs, never relations."""
