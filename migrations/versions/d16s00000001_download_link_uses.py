"""download_link_uses: the download links followed once (a link works a single time)

A row per used link (its random nonce), kept until a minute after the link's end and then
deleted by the housekeeping task `prune-download-links` (backend/auth/downloads.py).

Revision ID: d16s00000001
Revises: d16q00000001
Create Date: 2026-12-05 13:30:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "d16s00000001"
down_revision = "d16q00000001"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "download_link_uses",
        sa.Column("nonce", sa.String(length=32), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("nonce", name=op.f("pk_download_link_uses")),
    )
    op.create_index(op.f("ix_download_link_uses_expires_at"), "download_link_uses", ["expires_at"], unique=False)


def downgrade():
    op.drop_index(op.f("ix_download_link_uses_expires_at"), table_name="download_link_uses")
    op.drop_table("download_link_uses")
