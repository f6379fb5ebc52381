"""Write use cases of the billing context, one module per topic (see apps/billing/README.md). No re-exports:
import the topic module (`from apps.billing.services import payouts`)."""
