"""An issued invoice never changes (PostgreSQL): only its PDF path may be filled in, once."""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION billing_invoice_frozen() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'issued invoices are never deleted: issue a credit note' USING ERRCODE = 'restrict_violation';
    END IF;
    IF OLD.pdf_path <> '' AND NEW.pdf_path IS DISTINCT FROM OLD.pdf_path THEN
        RAISE EXCEPTION 'an invoice PDF is stored once' USING ERRCODE = 'restrict_violation';
    END IF;
    IF (OLD.number, OLD.sequence, OLD.year, OLD.kind, OLD.fleet_id, OLD.customer_id, OLD.lines::text, OLD.taxes::text,
        OLD.net_minor, OLD.tax_minor, OLD.total_minor, OLD.seller::text, OLD.buyer::text, OLD.issued_at, OLD.currency)
       IS DISTINCT FROM
       (NEW.number, NEW.sequence, NEW.year, NEW.kind, NEW.fleet_id, NEW.customer_id, NEW.lines::text, NEW.taxes::text,
        NEW.net_minor, NEW.tax_minor, NEW.total_minor, NEW.seller::text, NEW.buyer::text, NEW.issued_at, NEW.currency) THEN
        RAISE EXCEPTION 'issued invoice % never changes: issue a credit note', OLD.number USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER billing_invoice_immutable BEFORE UPDATE OR DELETE ON billing_invoice
    FOR EACH ROW EXECUTE FUNCTION billing_invoice_frozen();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS billing_invoice_immutable ON billing_invoice;
DROP FUNCTION IF EXISTS billing_invoice_frozen();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD, params=None)


class Migration(migrations.Migration):
    dependencies = [("billing", "0004_invoices")]
    operations = [migrations.RunPython(forwards, backwards)]
