"""Placements made from awards and spot purchases

Revision ID: 0026_placement
Revises: 0025_award
"""
from alembic import op
import sqlalchemy as sa
from portal.core.db import UTCDateTime  # noqa: F401

revision = "0026_placement"
down_revision = "0025_award"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('placement',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('award_id', sa.Integer(), nullable=False),
    sa.Column('referral_id', sa.Integer(), nullable=False),
    sa.Column('council_id', sa.Integer(), nullable=False),
    sa.Column('provider_id', sa.Integer(), nullable=False),
    sa.Column('setting_id', sa.Integer(), nullable=False),
    sa.Column('case_reference', sa.String(length=40), nullable=True),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('weekly_core_fee_pence', sa.BigInteger(), nullable=False),
    sa.Column('additional_services', sa.JSON(), nullable=False),
    sa.Column('weekly_cost_pence', sa.BigInteger(), nullable=False),
    sa.Column('distance_miles', sa.Numeric(precision=6, scale=1), nullable=True),
    sa.Column('inside_council', sa.Boolean(), nullable=True),
    sa.Column('spot_purchase', sa.Boolean(), nullable=False),
    sa.Column('moved_in_at', UTCDateTime(), nullable=True),
    sa.Column('end_date', sa.Date(), nullable=True),
    sa.Column('ended_planned', sa.Boolean(), nullable=True),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.CheckConstraint('(end_date IS NULL) = (ended_planned IS NULL)', name=op.f('ck_placement_ending')),
    sa.CheckConstraint('end_date IS NULL OR end_date >= start_date', name=op.f('ck_placement_end_after_start')),
    sa.CheckConstraint('weekly_core_fee_pence > 0', name=op.f('ck_placement_core_fee')),
    sa.CheckConstraint('weekly_cost_pence >= weekly_core_fee_pence', name=op.f('ck_placement_weekly_cost')),
    sa.ForeignKeyConstraint(['award_id'], ['award.id'], name=op.f('fk_placement_award_id_award')),
    sa.ForeignKeyConstraint(['council_id'], ['organisation.id'], name=op.f('fk_placement_council_id_organisation')),
    sa.ForeignKeyConstraint(['provider_id'], ['organisation.id'], name=op.f('fk_placement_provider_id_organisation')),
    sa.ForeignKeyConstraint(['referral_id'], ['referral.id'], name=op.f('fk_placement_referral_id_referral')),
    sa.ForeignKeyConstraint(['setting_id'], ['setting.id'], name=op.f('fk_placement_setting_id_setting')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_placement')),
    sa.UniqueConstraint('award_id', name=op.f('uq_placement_award_id')),
    sa.UniqueConstraint('referral_id', name=op.f('uq_placement_referral_id'))
    )
    with op.batch_alter_table('placement', schema=None) as batch_op:
        batch_op.create_index('ix_placement_council_start', ['council_id', 'start_date'], unique=False)


def downgrade() -> None:
    op.drop_table('placement')
