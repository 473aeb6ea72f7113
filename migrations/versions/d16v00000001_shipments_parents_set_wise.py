"""shipments: on PostgreSQL, a shipment's four parents (import, product, region, partner) checked
once per statement by triggers instead of once per row by foreign keys

A foreign key's check is a trigger call per row; a shipment import's batch of 5,000 rows names
one import and a handful of models, regions and partners, yet paid 20,000 of them: 65-71 % of
the batch's INSERT (bench/import_phases.py --explain). The same rules, set-wise:

- shipments_parents_exist (AFTER INSERT, AFTER UPDATE; FOR EACH STATEMENT, over the statement's
  new rows): each distinct parent the rows name is locked FOR KEY SHARE, as a foreign key's
  check locks it (a concurrent delete of it waits for this transaction, or this one for the
  delete), and one that does not exist raises foreign_key_violation (SQLSTATE 23503, as a
  foreign key does: the application sees the same IntegrityError).
- shipments_keep_parent (AFTER DELETE, AFTER UPDATE on each parent table; FOR EACH STATEMENT):
  a parent id that went away while a shipment names it raises foreign_key_violation, as NO
  ACTION does at the end of the statement. Under READ COMMITTED (every writer of the
  application) each of its queries sees what committed before it, so a delete that waited for
  an insert's lock sees the insert's rows; under a stricter isolation a parent's id cannot go
  away at all (refused: its snapshot could miss a shipment committed meanwhile). A shipment
  written under one whose parent a concurrent transaction deleted fails on the lock, as with a
  foreign key.

TRUNCATE of a parent table alone is not stopped (a foreign key refuses it without CASCADE);
nothing in the application truncates. SQLite keeps its foreign keys: one writer at a time,
and its checks are cheap.

Revision ID: d16v00000001
Revises: d16u00000001
Create Date: 2026-12-06 06:10:00

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "d16v00000001"
down_revision = "d16u00000001"
branch_labels = None
depends_on = None

# (column, parent table, the foreign key's name in the earlier revisions)
PARENTS = (
    ("import_id", "shipment_imports", "fk_shipments_import_id_shipment_imports"),
    ("product_id", "products", "fk_shipments_product_id_products"),
    ("region_id", "regions", "fk_shipments_region_id_regions"),
    ("partner_id", "partners", "fk_shipments_partner_id_partners"),
)

_MISSING = " OR ".join(
    f"EXISTS (SELECT 1 FROM (SELECT DISTINCT {column} AS id FROM new_rows WHERE {column} IS NOT NULL) n "
    f"WHERE NOT EXISTS (SELECT 1 FROM {table} p WHERE p.id = n.id))"
    for column, table, _name in PARENTS
)
_LOCKS = "\n".join(
    f"    PERFORM 1 FROM {table} WHERE id IN (SELECT {column} FROM new_rows) FOR KEY SHARE;"
    for column, table, _name in PARENTS
)

CHILD = f"""
CREATE FUNCTION shipments_parents_exist() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
{_LOCKS}
    IF {_MISSING} THEN
        RAISE foreign_key_violation
            USING MESSAGE = 'a shipment names an import, product, region or partner that does not exist';
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER shipments_parents_exist_ins AFTER INSERT ON shipments
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION shipments_parents_exist();
CREATE TRIGGER shipments_parents_exist_upd AFTER UPDATE ON shipments
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION shipments_parents_exist();
"""

# TG_ARGV[0]: the shipments' column naming this parent table.
PARENT = """
CREATE FUNCTION shipments_keep_parent() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    gone integer[];
    named boolean;
BEGIN
    IF TG_OP = 'DELETE' THEN
        SELECT array_agg(id) INTO gone FROM old_rows;
    ELSE
        SELECT array_agg(id) INTO gone FROM (SELECT id FROM old_rows EXCEPT SELECT id FROM new_rows) g;
    END IF;
    IF gone IS NULL THEN
        RETURN NULL;
    END IF;
    IF current_setting('transaction_isolation') <> 'read committed' THEN
        -- A later snapshot could miss a shipment committed meanwhile (a foreign key cross-checks
        -- with a fresh snapshot; a trigger's queries cannot): refused rather than risked.
        RAISE object_not_in_prerequisite_state
            USING MESSAGE = format('%s: delete or renumber it under READ COMMITTED', TG_TABLE_NAME);
    END IF;
    EXECUTE format('SELECT EXISTS (SELECT 1 FROM shipments WHERE %I = ANY ($1))', TG_ARGV[0]) INTO named USING gone;
    IF named THEN
        RAISE foreign_key_violation
            USING MESSAGE = format('%s: a row shipments.%s names is gone', TG_TABLE_NAME, TG_ARGV[0]);
    END IF;
    RETURN NULL;
END $$;
"""


def _parent_triggers(column: str, table: str) -> str:
    return f"""
CREATE TRIGGER shipments_keep_parent_del AFTER DELETE ON {table}
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION shipments_keep_parent('{column}');
CREATE TRIGGER shipments_keep_parent_upd AFTER UPDATE ON {table}
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION shipments_keep_parent('{column}');
"""


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for _column, _table, name in PARENTS:
        op.drop_constraint(name, "shipments", type_="foreignkey")
    op.execute(CHILD)
    op.execute(PARENT)
    for column, table, _name in PARENTS:
        op.execute(_parent_triggers(column, table))


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for _column, table, _name in PARENTS:
        op.execute(f"DROP TRIGGER shipments_keep_parent_del ON {table}")
        op.execute(f"DROP TRIGGER shipments_keep_parent_upd ON {table}")
    op.execute("DROP TRIGGER shipments_parents_exist_ins ON shipments")
    op.execute("DROP TRIGGER shipments_parents_exist_upd ON shipments")
    op.execute("DROP FUNCTION shipments_keep_parent()")
    op.execute("DROP FUNCTION shipments_parents_exist()")
    for column, table, name in PARENTS:
        op.create_foreign_key(name, "shipments", table, [column], ["id"])
