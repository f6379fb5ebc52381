"""Reactions of the trips context to other contexts' integration events (registered with logitrack.bus)."""
