"""deployment-wide clock and warranty IMEI slots

The deployment-wide clock is a row of sync_meta (key 'hlc'), written on first use: no schema
change. warranty_imeis holds every IMEI of every live card, whichever slot, under one primary
key: the database's guarantee of one live card per phone.

Revision ID: d10a00000001
Revises: a67db9a09c9b
Create Date: 2026-12-04 13:50:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd10a00000001'
down_revision = 'a67db9a09c9b'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'warranty_imeis',
        sa.Column('imei', sa.String(length=15), nullable=False),
        sa.Column('card_id', sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(['card_id'], ['warranty_cards.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('imei'),
    )
    with op.batch_alter_table('warranty_imeis', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_warranty_imeis_card_id'), ['card_id'], unique=False)
    # Live cards' IMEIs, both slots; should two live cards already share one, the first keeps it.
    for column in ('imei', 'imei2'):
        op.execute(
            f"INSERT INTO warranty_imeis (imei, card_id) SELECT {column}, id FROM warranty_cards "
            f"WHERE voided_at IS NULL AND {column} IS NOT NULL ON CONFLICT DO NOTHING"
        )


def downgrade():
    with op.batch_alter_table('warranty_imeis', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_warranty_imeis_card_id'))
    op.drop_table('warranty_imeis')
