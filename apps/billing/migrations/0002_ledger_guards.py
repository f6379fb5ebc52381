"""The database itself guards the ledger (PostgreSQL): postings of a transaction sum to zero per
currency at commit, a posting's currency is its account's, and posted rows never change.
Python checks the same first; these triggers catch whatever bypasses it (raw SQL, a bug)."""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION billing_check_transaction_balanced() RETURNS trigger AS $$
DECLARE
    bad record;
BEGIN
    SELECT p.currency, SUM(p.amount_minor) AS total INTO bad
      FROM billing_posting p
     WHERE p.transaction_id = NEW.transaction_id
     GROUP BY p.currency
    HAVING SUM(p.amount_minor) <> 0
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'ledger transaction % does not balance in %: sum is %', NEW.transaction_id, bad.currency, bad.total
            USING ERRCODE = 'check_violation';
    END IF;
    IF EXISTS (SELECT 1 FROM billing_account a WHERE a.id = NEW.account_id AND a.currency <> NEW.currency) THEN
        RAISE EXCEPTION 'posting % is in %, its account is not', NEW.id, NEW.currency USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE CONSTRAINT TRIGGER billing_posting_balanced
    AFTER INSERT ON billing_posting
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION billing_check_transaction_balanced();

CREATE OR REPLACE FUNCTION billing_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '% rows are immutable: post a reversing transaction instead', TG_TABLE_NAME
        USING ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER billing_posting_immutable BEFORE UPDATE OR DELETE ON billing_posting
    FOR EACH ROW EXECUTE FUNCTION billing_refuse_change();
CREATE TRIGGER billing_transaction_immutable BEFORE UPDATE OR DELETE ON billing_journaltransaction
    FOR EACH ROW EXECUTE FUNCTION billing_refuse_change();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS billing_transaction_immutable ON billing_journaltransaction;
DROP TRIGGER IF EXISTS billing_posting_immutable ON billing_posting;
DROP FUNCTION IF EXISTS billing_refuse_change();
DROP TRIGGER IF EXISTS billing_posting_balanced ON billing_posting;
DROP FUNCTION IF EXISTS billing_check_transaction_balanced();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":  # the embedded SQLite default relies on the Python checks
        schema_editor.execute(FORWARD, params=None)  # no placeholders: RAISE messages use %


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD, params=None)


class Migration(migrations.Migration):
    dependencies = [("billing", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
