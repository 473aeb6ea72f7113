"""checklist items: what a failed answer must come with (on_fail)

Revision ID: d12b00000001
Revises: d11e00000001
Create Date: 2026-12-04 21:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd12b00000001'
down_revision = 'd11e00000001'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('checklist_items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('on_fail', sa.String(length=16), server_default='none', nullable=False))


def downgrade():
    with op.batch_alter_table('checklist_items', schema=None) as batch_op:
        batch_op.drop_column('on_fail')
