"""shipment imports: the reason code and params of a failed import and of each rejected row

Revision ID: d12c00000001
Revises: d12b00000001
Create Date: 2026-12-04 21:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd12c00000001'
down_revision = 'd12b00000001'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('shipment_imports', schema=None) as batch_op:
        batch_op.add_column(sa.Column('error_code', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('error_params', sa.JSON(), nullable=True))
    with op.batch_alter_table('shipment_import_errors', schema=None) as batch_op:
        batch_op.add_column(sa.Column('code', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('params', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('shipment_import_errors', schema=None) as batch_op:
        batch_op.drop_column('params')
        batch_op.drop_column('code')
    with op.batch_alter_table('shipment_imports', schema=None) as batch_op:
        batch_op.drop_column('error_params')
        batch_op.drop_column('error_code')
