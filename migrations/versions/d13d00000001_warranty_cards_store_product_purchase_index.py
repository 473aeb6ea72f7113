"""warranty cards: an index on (store_id, product_id, purchase_date) for the channel's
declared-vs-cards list (each sell-out report's cards over its own period: one index range)

Revision ID: d13d00000001
Revises: d13b00000001
Create Date: 2026-12-05 01:55:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'd13d00000001'
down_revision = 'd13b00000001'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('warranty_cards', schema=None) as batch_op:
        batch_op.create_index(
            'ix_warranty_cards_store_product_purchase', ['store_id', 'product_id', 'purchase_date'], unique=False
        )


def downgrade():
    with op.batch_alter_table('warranty_cards', schema=None) as batch_op:
        batch_op.drop_index('ix_warranty_cards_store_product_purchase')
