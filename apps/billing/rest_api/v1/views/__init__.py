"""Billing REST views, one module per topic (no re-exports: import the topic module)."""
