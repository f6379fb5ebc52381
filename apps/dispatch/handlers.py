"""Reactions of the dispatch context to other contexts' integration events (registered with logitrack.bus)."""
