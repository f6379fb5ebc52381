"""Tables owned by the dispatch context. Foreign identities are UUIDs, never relations."""
