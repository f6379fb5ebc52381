"""Write use cases of the fleet context, one module per topic; one transaction each. Import the topic module
(`from apps.fleet.services import vehicles` then `vehicles.vehicle_add(...)`): nothing is re-exported here."""
