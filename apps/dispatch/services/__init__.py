"""Write use cases of the dispatch context, one module per topic (callers import the module)."""
