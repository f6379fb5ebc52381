"""Reactions of the fleet context to other contexts' integration events (registered with logitrack.bus)."""
