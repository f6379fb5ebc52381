"""Webhooks for integrators: fleets register endpoints, every event they chose is posted to them signed
(HMAC-SHA256, Stripe-style header), retried with backoff, logged per attempt and replayable.

- `catalogue`: the published event types (public names like `trip.completed`) and the envelope built from an event;
- `signing`: signing secrets (generated, encrypted at rest, rotated with a grace period) and the signature header;
- `transport`: the SSRF-safe HTTP POST (public addresses only, pinned to the address checked, no redirects, bounded);
- `services` / `selectors`: the writes and reads the entry points call.
"""
