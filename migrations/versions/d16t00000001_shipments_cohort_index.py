"""shipments: the cohort index (region, model, ship date, partner, with the IMEI) replaces the
(region, model, ship date) one

The channel reads a cohort's units — a region's model shipped to one partner in one week — for
the aging list's IMEIs and the aging CSV. With the partner in the key and the IMEI carried in the
index (PostgreSQL's INCLUDE), the week's range of the index answers the read alone: the units of
the other partners are skipped in the index, and the shipments' rows are not fetched at all
(an index-only scan; at 10 M shipments the table's pages fetched were most of a cohort read's
time). Every read by region, model and ship dates the old index served, this one serves: same
leading columns, one entry per shipment, a little wider.

Revision ID: d16t00000001
Revises: d16s00000001
Create Date: 2026-12-05 13:45:00

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "d16t00000001"
down_revision = "d16s00000001"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("shipments", schema=None) as batch_op:
        batch_op.create_index(
            "ix_shipments_cohort",
            ["region_id", "product_id", "ship_date", "partner_id"],
            unique=False,
            postgresql_include=["imei"],
        )
        batch_op.drop_index("ix_shipments_region_product_date")


def downgrade():
    with op.batch_alter_table("shipments", schema=None) as batch_op:
        batch_op.create_index(
            "ix_shipments_region_product_date", ["region_id", "product_id", "ship_date"], unique=False
        )
        batch_op.drop_index("ix_shipments_cohort")
