"""periodic runs: when each housekeeping task last ran

Revision ID: d11e00000001
Revises: d11c00000001
Create Date: 2026-12-04 15:50:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd11e00000001'
down_revision = 'd11c00000001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'periodic_runs',
        sa.Column('name', sa.String(length=64), nullable=False),
        sa.Column('started_at', sa.DateTime(), nullable=True),
        sa.Column('finished_at', sa.DateTime(), nullable=True),
        sa.Column('outcome', sa.String(length=500), nullable=False),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_periodic_runs')),
    )


def downgrade():
    op.drop_table('periodic_runs')
