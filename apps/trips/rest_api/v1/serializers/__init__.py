"""Request and response bodies of the trips REST API, one module per topic."""
