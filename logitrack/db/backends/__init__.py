"""Database backends: Django's own with the kernel's adjustments (ENGINE in config/settings/base.py)."""
