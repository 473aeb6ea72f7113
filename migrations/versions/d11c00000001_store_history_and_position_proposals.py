"""store history and position proposals

Every change of a store's fields is kept (store_history); a rep's move of a store beyond
STORE_MOVE_APPROVAL_M is held as a proposal for a manager (store_position_proposals), measured
from the store's approved position (stores.anchor_latitude/longitude, filled with the current
position here).

Revision ID: d11c00000001
Revises: d11a00000001
Create Date: 2026-12-05 10:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd11c00000001'
down_revision = 'd11a00000001'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('stores', schema=None) as batch_op:
        batch_op.add_column(sa.Column('anchor_latitude', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('anchor_longitude', sa.Float(), nullable=True))
    op.execute('UPDATE stores SET anchor_latitude = latitude, anchor_longitude = longitude')

    op.create_table(
        'store_position_proposals',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('store_id', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('latitude', sa.Float(), nullable=False),
        sa.Column('longitude', sa.Float(), nullable=False),
        sa.Column('from_latitude', sa.Float(), nullable=False),
        sa.Column('from_longitude', sa.Float(), nullable=False),
        sa.Column('distance_m', sa.Float(), nullable=False),
        sa.Column('note', sa.String(length=500), nullable=False),
        sa.Column('channel', sa.String(length=8), nullable=False),
        sa.Column('proposed_by', sa.Integer(), nullable=False),
        sa.Column('proposed_at', sa.DateTime(), nullable=False),
        sa.Column('decided_by', sa.Integer(), nullable=True),
        sa.Column('decided_at', sa.DateTime(), nullable=True),
        sa.Column('decision_note', sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(['decided_by'], ['users.id'], name=op.f('fk_store_position_proposals_decided_by_users')),
        sa.ForeignKeyConstraint(['proposed_by'], ['users.id'], name=op.f('fk_store_position_proposals_proposed_by_users')),
        sa.ForeignKeyConstraint(['store_id'], ['stores.id'], name=op.f('fk_store_position_proposals_store_id_stores')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_store_position_proposals')),
    )
    with op.batch_alter_table('store_position_proposals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_store_position_proposals_proposed_by'), ['proposed_by'], unique=False)
        batch_op.create_index(batch_op.f('ix_store_position_proposals_store_id'), ['store_id'], unique=False)
        batch_op.create_index('ix_store_position_proposals_status_store_id', ['status', 'store_id'], unique=False)

    op.create_table(
        'store_history',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('store_id', sa.Integer(), nullable=False),
        sa.Column('field', sa.String(length=32), nullable=False),
        sa.Column('old_value', sa.JSON(), nullable=True),
        sa.Column('new_value', sa.JSON(), nullable=True),
        sa.Column('channel', sa.String(length=8), nullable=False),
        sa.Column('changed_by', sa.Integer(), nullable=True),
        sa.Column('changed_at', sa.DateTime(), nullable=False),
        sa.Column('proposal_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['changed_by'], ['users.id'], name=op.f('fk_store_history_changed_by_users')),
        sa.ForeignKeyConstraint(
            ['proposal_id'], ['store_position_proposals.id'], name=op.f('fk_store_history_proposal_id_store_position_proposals')
        ),
        sa.ForeignKeyConstraint(['store_id'], ['stores.id'], name=op.f('fk_store_history_store_id_stores')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_store_history')),
    )
    with op.batch_alter_table('store_history', schema=None) as batch_op:
        batch_op.create_index('ix_store_history_store_id_changed_at', ['store_id', 'changed_at'], unique=False)


def downgrade():
    with op.batch_alter_table('store_history', schema=None) as batch_op:
        batch_op.drop_index('ix_store_history_store_id_changed_at')
    op.drop_table('store_history')
    with op.batch_alter_table('store_position_proposals', schema=None) as batch_op:
        batch_op.drop_index('ix_store_position_proposals_status_store_id')
        batch_op.drop_index(batch_op.f('ix_store_position_proposals_store_id'))
        batch_op.drop_index(batch_op.f('ix_store_position_proposals_proposed_by'))
    op.drop_table('store_position_proposals')
    with op.batch_alter_table('stores', schema=None) as batch_op:
        batch_op.drop_column('anchor_longitude')
        batch_op.drop_column('anchor_latitude')
