"""Providers' referral preferences (lots, ages, needs)

Revision ID: 0015_referral_preference
Revises: 0014_organisation_profile
"""
from alembic import op
import sqlalchemy as sa
from portal.core.db import UTCDateTime

revision = "0015_referral_preference"
down_revision = "0014_organisation_profile"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('referral_preference',
        sa.Column('provider_id', sa.Integer(), nullable=False),
        sa.Column('lot_kinds', sa.JSON(), nullable=False),
        sa.Column('min_age', sa.Integer(), nullable=False),
        sa.Column('max_age', sa.Integer(), nullable=False),
        sa.Column('need_codes', sa.JSON(), nullable=False),
        sa.Column('updated_at', UTCDateTime(), nullable=False),
        sa.CheckConstraint('min_age >= 0 AND max_age <= 25 AND min_age <= max_age', name=op.f('ck_referral_preference_ages')),
        sa.ForeignKeyConstraint(['provider_id'], ['organisation.id'], name=op.f('fk_referral_preference_provider_id_organisation')),
        sa.PrimaryKeyConstraint('provider_id', name=op.f('pk_referral_preference'))
        )


def downgrade() -> None:
    op.drop_table('referral_preference')
