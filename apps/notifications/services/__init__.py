"""Write use cases of the notifications context, one module per topic."""
