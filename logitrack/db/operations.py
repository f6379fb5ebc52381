"""Migration operations for tables that are already big when the migration runs.

A plain `AddIndex` takes a lock that blocks every write to the table until the index is built: seconds to minutes
on a year of trips or postings, during which bookings and settlements wait. On PostgreSQL these build and drop
the index CONCURRENTLY (writes go on; the build reads the table twice); elsewhere (the embedded SQLite default,
whose tables are small) they are the plain operations. A migration using them must set `atomic = False`: PostgreSQL
refuses CONCURRENTLY inside a transaction. `tests/architecture/test_migrations.py` holds every index added to an
existing table to this.

If a concurrent build fails (the process is killed, a deadlock), PostgreSQL leaves the index INVALID: drop it with
`DROP INDEX CONCURRENTLY <name>` and migrate again (docs/production.md, Upgrades).
"""

from __future__ import annotations

from typing import Any

from django.contrib.postgres.operations import AddIndexConcurrently, RemoveIndexConcurrently
from django.db.migrations.operations import AddIndex, RemoveIndex


def _postgres(schema_editor: Any) -> bool:
    return bool(schema_editor.connection.vendor == "postgresql")


class AddIndexOnline(AddIndexConcurrently):
    def database_forwards(self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any) -> None:
        if _postgres(schema_editor):
            super().database_forwards(app_label, schema_editor, from_state, to_state)
        else:
            AddIndex.database_forwards(self, app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any) -> None:
        if _postgres(schema_editor):
            super().database_backwards(app_label, schema_editor, from_state, to_state)
        else:
            AddIndex.database_backwards(self, app_label, schema_editor, from_state, to_state)


class RemoveIndexOnline(RemoveIndexConcurrently):
    def database_forwards(self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any) -> None:
        if _postgres(schema_editor):
            super().database_forwards(app_label, schema_editor, from_state, to_state)
        else:
            RemoveIndex.database_forwards(self, app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any) -> None:
        if _postgres(schema_editor):
            super().database_backwards(app_label, schema_editor, from_state, to_state)
        else:
            RemoveIndex.database_backwards(self, app_label, schema_editor, from_state, to_state)
