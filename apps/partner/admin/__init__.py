"""Partner in the admin, by topic: drivers (`drivers`), KYC documents and their review page (`documents`,
`review`). Importing the package registers them all."""

from apps.partner.admin import documents, drivers

__all__ = ["documents", "drivers"]
