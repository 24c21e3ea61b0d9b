"""Needs taxonomy table

Revision ID: 0009_need
Revises: 0008_dps_and_lots
"""
from alembic import op
import sqlalchemy as sa

revision = "0009_need"
down_revision = '0008_dps_and_lots'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('need',
        sa.Column('code', sa.String(length=60), nullable=False),
        sa.Column('label', sa.String(length=200), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('code', name=op.f('pk_need'))
        )


def downgrade() -> None:
    op.drop_table('need')
