"""channel stock: the units declared sold at stores without a clerk (`declared`, also counted in
`sold`) on channel_stock and channel_weeks

After this upgrade run `flask rebuild-channel` once: the rollups then subtract the declared
sell-out of stores that register no cards, spread multi-week reports over their weeks and count
an exchanged unit sold again once (backend/channel/rollup.py).

Revision ID: d16r00000001
Revises: d15a00000001
Create Date: 2026-12-05 10:30:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "d16r00000001"
down_revision = "d15a00000001"
branch_labels = None
depends_on = None


def upgrade():
    for table in ("channel_stock", "channel_weeks"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("declared", sa.Integer(), server_default="0", nullable=False))


def downgrade():
    for table in ("channel_stock", "channel_weeks"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("declared")
