"""LogiTrack's shared kernel: infrastructure and primitives every context uses. No business rules."""
