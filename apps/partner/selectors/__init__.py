"""Read use cases of the partner context, one module per topic. `visibility` decides, once, who may see which
drivers, documents, scans and photos; every view and admin of the app asks it. Nothing is re-exported here."""
