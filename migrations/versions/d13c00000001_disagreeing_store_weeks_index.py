"""channel: a partial index of the store-weeks whose declared sell-out and cards disagree

Revision ID: d13c00000001
Revises: d13b00000001
Create Date: 2026-12-05 01:35:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd13c00000001'
down_revision = 'd13b00000001'
branch_labels = None
depends_on = None

WHERE = "declared_reports > 0 AND declared_units <> card_units"


def upgrade():
    with op.batch_alter_table('store_sellout_weeks', schema=None) as batch_op:
        batch_op.create_index(
            'ix_store_sellout_weeks_disagreeing',
            ['week_start', 'model_key'],
            unique=False,
            postgresql_where=sa.text(WHERE),
            sqlite_where=sa.text(WHERE),
        )


def downgrade():
    with op.batch_alter_table('store_sellout_weeks', schema=None) as batch_op:
        batch_op.drop_index('ix_store_sellout_weeks_disagreeing')
