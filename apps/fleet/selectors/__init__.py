"""Read use cases of the fleet context, one module per topic. `visibility` decides, once, who may see which
fleets, vehicles and vehicle documents; every view and admin of the app asks it. Nothing is re-exported here."""
