"""Write use cases of the trips context, one module per topic (see the app README). One transaction each."""
