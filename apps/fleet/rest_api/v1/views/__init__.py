"""Fleet REST views, one module per topic: `fleets` (onboarding, settings, history) and `vehicles` (the
inventory, its documents and maintenance)."""
