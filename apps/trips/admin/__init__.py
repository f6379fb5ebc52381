"""The trips admin, by topic: trips (list, search, export, the trip page, proof-of-delivery files), shifts, offers,
and the CSV import of bookings. Importing the modules registers their ModelAdmins."""

from apps.trips.admin import offers, shifts, trips  # noqa: F401  (registers)
