"""Make the journal, its checkpoints and the audit of personal-data reads append-only.

Triggers refuse UPDATE, DELETE and TRUNCATE. They are ENABLE ALWAYS, so setting
session_replication_role = replica (which silences ordinary triggers) does not get
past them; only the tables' owner can drop or disable them, and `manage.py
harden_journal` hands ownership to a role the application cannot use.
"""

from django.db import migrations

APPEND_ONLY = (
    "transactions_journalentry",
    "transactions_checkpoint",
    "transactions_personaldataaccess",
)

FUNCTION = """
CREATE FUNCTION landinfo_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% on % refused: the table is append-only', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'restrict_violation',
              HINT = 'A registered deed is corrected by a new entry, never edited.';
END
$$;
"""


def _triggers(table: str) -> str:
    return f"""
CREATE TRIGGER {table}_no_update_delete BEFORE UPDATE OR DELETE ON {table}
    FOR EACH ROW EXECUTE FUNCTION landinfo_refuse_change();
CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table}
    FOR EACH STATEMENT EXECUTE FUNCTION landinfo_refuse_change();
ALTER TABLE {table} ENABLE ALWAYS TRIGGER {table}_no_update_delete;
ALTER TABLE {table} ENABLE ALWAYS TRIGGER {table}_no_truncate;
"""


def _drop(table: str) -> str:
    return f"""
DROP TRIGGER {table}_no_update_delete ON {table};
DROP TRIGGER {table}_no_truncate ON {table};
"""


class Migration(migrations.Migration):
    dependencies = [("transactions", "0003_corrections_checkpoints_audit")]

    operations = [
        migrations.RunSQL(
            FUNCTION + "".join(_triggers(table) for table in APPEND_ONLY),
            reverse_sql="".join(_drop(table) for table in APPEND_ONLY)
            + "DROP FUNCTION landinfo_refuse_change();",
        ),
    ]
