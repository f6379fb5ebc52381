"""Period invoices list receipted trips as a statement (outside their totals); the statement is frozen with the
rest of an issued invoice."""

from django.db import migrations, models

FROZEN = """
CREATE OR REPLACE FUNCTION billing_invoice_frozen() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'issued invoices are never deleted: issue a credit note' USING ERRCODE = 'restrict_violation';
    END IF;
    IF OLD.pdf_path <> '' AND NEW.pdf_path IS DISTINCT FROM OLD.pdf_path THEN
        RAISE EXCEPTION 'an invoice PDF is stored once' USING ERRCODE = 'restrict_violation';
    END IF;
    IF (OLD.number, OLD.sequence, OLD.year, OLD.kind, OLD.fleet_id, OLD.customer_id, OLD.lines::text, OLD.taxes::text,
        OLD.net_minor, OLD.tax_minor, OLD.total_minor, OLD.seller::text, OLD.buyer::text, OLD.issued_at, OLD.currency,
        OLD.statement::text)
       IS DISTINCT FROM
       (NEW.number, NEW.sequence, NEW.year, NEW.kind, NEW.fleet_id, NEW.customer_id, NEW.lines::text, NEW.taxes::text,
        NEW.net_minor, NEW.tax_minor, NEW.total_minor, NEW.seller::text, NEW.buyer::text, NEW.issued_at, NEW.currency,
        NEW.statement::text) THEN
        RAISE EXCEPTION 'issued invoice % never changes: issue a credit note', OLD.number USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
"""


BEFORE = FROZEN.replace(",\n        OLD.statement::text", "").replace(",\n        NEW.statement::text", "")


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FROZEN, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BEFORE, params=None)


class Migration(migrations.Migration):
    dependencies = [("billing", "0006_payout_approval")]
    operations = [
        migrations.AddField(
            model_name="invoice",
            name="statement",
            field=models.JSONField(
                blank=True,
                default=list,
                help_text="period invoices: the month's trips already invoiced by their own receipt, listed for "
                "information only (not in the totals, no tax charged again)",
            ),
        ),
        migrations.RunPython(forwards, backwards),
    ]
