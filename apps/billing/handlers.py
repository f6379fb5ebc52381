"""Reactions of the billing context to other contexts' integration events (registered with logitrack.bus)."""
