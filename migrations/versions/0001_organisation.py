"""Organisations: providers, councils and the operator

Revision ID: 0001_organisation
Revises: 
"""
from alembic import op
import sqlalchemy as sa
from portal.core.db import UTCDateTime

revision = "0001_organisation"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('organisation',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('council_id', sa.Integer(), nullable=True),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.CheckConstraint("kind IN ('provider', 'council', 'operator')", name=op.f('ck_organisation_kind')),
        sa.ForeignKeyConstraint(['council_id'], ['organisation.id'], name=op.f('fk_organisation_council_id_organisation')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_organisation'))
        )


def downgrade() -> None:
    op.drop_table('organisation')
