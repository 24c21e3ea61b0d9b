"""The dynamic purchasing system, its councils and lots

Revision ID: 0008_dps_and_lots
Revises: 0007_inbox_message
"""
from alembic import op
import sqlalchemy as sa
from portal.core.db import UTCDateTime

revision = "0008_dps_and_lots"
down_revision = '0007_inbox_message'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('dps',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_dps')),
        sa.UniqueConstraint('name', name=op.f('uq_dps_name'))
        )
    op.create_table('dps_council',
        sa.Column('dps_id', sa.Integer(), nullable=False),
        sa.Column('council_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['council_id'], ['organisation.id'], name=op.f('fk_dps_council_council_id_organisation')),
        sa.ForeignKeyConstraint(['dps_id'], ['dps.id'], name=op.f('fk_dps_council_dps_id_dps')),
        sa.PrimaryKeyConstraint('dps_id', 'council_id', name=op.f('pk_dps_council'))
        )
    op.create_table('lot',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('dps_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=40), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.CheckConstraint("kind IN ('residential', 'fostering', 'supported_16_17', 'parent_and_child', 'solo_bespoke')", name=op.f('ck_lot_kind')),
        sa.ForeignKeyConstraint(['dps_id'], ['dps.id'], name=op.f('fk_lot_dps_id_dps')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_lot')),
        sa.UniqueConstraint('dps_id', 'kind', name=op.f('uq_lot_dps_id_kind'))
        )


def downgrade() -> None:
    op.drop_table('lot')
    op.drop_table('dps_council')
    op.drop_table('dps')
