"""Partner REST views, one module per topic: `drivers` (managers), `documents` (KYC review, scans, types),
`me` (the driver app: profile, photo, documents, compliance, duty) and `availability` (the driver's windows)."""
