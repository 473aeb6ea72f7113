"""login attempts: counters per client, per client and username, per username

Revision ID: d11a00000001
Revises: d10a00000002
Create Date: 2026-12-04 15:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd11a00000001'
down_revision = 'd10a00000002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'login_counters',
        sa.Column('scope', sa.String(length=8), nullable=False),
        sa.Column('username', sa.String(length=64), nullable=False),
        sa.Column('ip', sa.String(length=64), nullable=False),
        sa.Column('count', sa.Integer(), nullable=False),
        sa.Column('window_start', sa.DateTime(), nullable=False),
        sa.Column('last_at', sa.DateTime(), nullable=False),
        sa.Column('next_at', sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint('scope', 'username', 'ip', name=op.f('pk_login_counters')),
    )
    with op.batch_alter_table('login_counters', schema=None) as batch_op:
        batch_op.create_index('ix_login_counters_last_at', ['last_at'], unique=False)
    # The failures recorded one row each are only of use for a quarter of an hour: not carried over.
    with op.batch_alter_table('login_failures', schema=None) as batch_op:
        batch_op.drop_index('ix_login_failures_username_at')
        batch_op.drop_index('ix_login_failures_ip_at')
    op.drop_table('login_failures')


def downgrade():
    op.create_table(
        'login_failures',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('username', sa.String(length=64), nullable=False),
        sa.Column('ip', sa.String(length=64), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_login_failures')),
    )
    with op.batch_alter_table('login_failures', schema=None) as batch_op:
        batch_op.create_index('ix_login_failures_ip_at', ['ip', 'at'], unique=False)
        batch_op.create_index('ix_login_failures_username_at', ['username', 'at'], unique=False)
    with op.batch_alter_table('login_counters', schema=None) as batch_op:
        batch_op.drop_index('ix_login_counters_last_at')
    op.drop_table('login_counters')
