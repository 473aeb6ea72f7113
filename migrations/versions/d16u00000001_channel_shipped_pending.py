"""channel_shipped_pending: a bulk load's shipped units, a row of arrays per batch, folded into
the cohorts, channel weeks and stock every CHANNEL_FOLD_UNITS units and when the import ends

Revision ID: d16u00000001
Revises: d16t00000001
Create Date: 2026-12-05 17:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "d16u00000001"
down_revision = "d16t00000001"
branch_labels = None
depends_on = None

INTS = sa.ARRAY(sa.Integer()).with_variant(sa.JSON(), "sqlite")


def upgrade():
    op.create_table(
        "channel_shipped_pending",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), sa.Identity(), nullable=False),
        sa.Column("regions", INTS, nullable=False),
        sa.Column("partners", INTS, nullable=False),
        sa.Column("products", INTS, nullable=False),
        sa.Column("days", sa.ARRAY(sa.Date()).with_variant(sa.JSON(), "sqlite"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_channel_shipped_pending")),
    )


def downgrade():
    op.drop_table("channel_shipped_pending")
