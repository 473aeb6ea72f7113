"""catalogue: an English name (name_en) for brands, competitor models, products, promo materials

Revision ID: d12d00000001
Revises: d12c00000001
Create Date: 2026-12-04 21:45:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd12d00000001'
down_revision = 'd12c00000001'
branch_labels = None
depends_on = None

NAMES = {'products': 120, 'competitor_brands': 80, 'competitor_models': 120, 'promo_materials': 120}


def upgrade():
    for table, length in NAMES.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('name_en', sa.String(length=length), nullable=True))


def downgrade():
    for table in reversed(list(NAMES)):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('name_en')
