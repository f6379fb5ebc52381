"""Reactions of the identity context to other contexts' integration events (registered with logitrack.bus)."""
