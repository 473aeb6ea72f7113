"""channel stock totals and weeks per region, partner and model; channel sales by week

Revision ID: d13b00000001
Revises: d13a00000001
Create Date: 2026-12-05 00:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd13b00000001'
down_revision = 'd13a00000001'
branch_labels = None
depends_on = None


def upgrade():
    # The rollups are filled by `flask rebuild-channel` (and kept by increments from then on).
    op.create_table('channel_stock',
    sa.Column('region_id', sa.Integer(), nullable=False),
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('shipped', sa.Integer(), nullable=False),
    sa.Column('sold', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('region_id', 'partner_id', 'product_id', name=op.f('pk_channel_stock'))
    )
    with op.batch_alter_table('channel_stock', schema=None) as batch_op:
        batch_op.create_index('ix_channel_stock_product', ['product_id', 'region_id'], unique=False)

    op.create_table('channel_weeks',
    sa.Column('region_id', sa.Integer(), nullable=False),
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('week_start', sa.Date(), nullable=False),
    sa.Column('shipped', sa.Integer(), nullable=False),
    sa.Column('sold', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('region_id', 'partner_id', 'product_id', 'week_start', name=op.f('pk_channel_weeks'))
    )
    with op.batch_alter_table('channel_weeks', schema=None) as batch_op:
        batch_op.create_index('ix_channel_weeks_week', ['week_start'], unique=False)
        batch_op.create_index('ix_channel_weeks_product_week', ['product_id', 'week_start'], unique=False)

    with op.batch_alter_table('channel_sales', schema=None) as batch_op:
        batch_op.create_index('ix_channel_sales_week', ['sale_week'], unique=False)


def downgrade():
    with op.batch_alter_table('channel_sales', schema=None) as batch_op:
        batch_op.drop_index('ix_channel_sales_week')

    with op.batch_alter_table('channel_weeks', schema=None) as batch_op:
        batch_op.drop_index('ix_channel_weeks_product_week')
        batch_op.drop_index('ix_channel_weeks_week')

    op.drop_table('channel_weeks')
    with op.batch_alter_table('channel_stock', schema=None) as batch_op:
        batch_op.drop_index('ix_channel_stock_product')

    op.drop_table('channel_stock')
