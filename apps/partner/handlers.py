"""Reactions of the partner context to other contexts' integration events (registered with logitrack.bus)."""
