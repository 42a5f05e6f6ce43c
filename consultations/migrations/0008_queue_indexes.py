"""Indexes for the queue at 100,000 requests: trigrams for its name search, and
the live cases by status for its tab counts.

A name is searched as a fragment of the first or last name, case-insensitively
(``icontains``), which PostgreSQL answers with a table scan unless a pg_trgm
index covers the very expression Django writes: ``UPPER("col"::text)``. SQLite
(the embedded default) has no pg_trgm and scans, which is fine at its size.
"""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations, models

TABLE = "consultations_consultationrequest"
INDEXES = {"consult_first_name_trgm": "first_name", "consult_last_name_trgm": "last_name"}


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, column in INDEXES.items():
        schema_editor.execute(
            f'CREATE INDEX "{name}" ON "{TABLE}" USING gin (UPPER("{column}"::text) gin_trgm_ops)'
        )


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')


class Migration(migrations.Migration):
    dependencies = [("consultations", "0007_taken_by")]

    operations = [
        TrigramExtension(),
        migrations.RunPython(create_indexes, drop_indexes),
        migrations.AddIndex(
            model_name="consultationrequest",
            index=models.Index(
                fields=["status"],
                condition=models.Q(erased_at__isnull=True),
                name="consult_live_status",
            ),
        ),
    ]
