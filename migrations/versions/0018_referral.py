"""Referrals (anonymised needs specifications) and their needs

Revision ID: 0018_referral
Revises: 0017_dps_application
"""
from alembic import op
import sqlalchemy as sa
from portal.core.db import UTCDateTime

revision = "0018_referral"
down_revision = "0017_dps_application"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('referral',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('council_id', sa.Integer(), nullable=False),
        sa.Column('dps_id', sa.Integer(), nullable=False),
        sa.Column('lot_id', sa.Integer(), nullable=True),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('status', sa.String(length=30), nullable=False),
        sa.Column('age', sa.Integer(), nullable=True),
        sa.Column('sex', sa.String(length=10), nullable=True),
        sa.Column('legal_status', sa.String(length=30), nullable=True),
        sa.Column('group_size', sa.Integer(), nullable=False),
        sa.Column('cultural_needs', sa.Text(), nullable=True),
        sa.Column('religious_needs', sa.Text(), nullable=True),
        sa.Column('language_needs', sa.Text(), nullable=True),
        sa.Column('education_status', sa.String(length=30), nullable=True),
        sa.Column('education_notes', sa.Text(), nullable=True),
        sa.Column('outcome_be_healthy', sa.Text(), nullable=True),
        sa.Column('outcome_stay_safe', sa.Text(), nullable=True),
        sa.Column('outcome_enjoy_and_achieve', sa.Text(), nullable=True),
        sa.Column('outcome_positive_contribution', sa.Text(), nullable=True),
        sa.Column('outcome_economic_wellbeing', sa.Text(), nullable=True),
        sa.Column('what_matters', sa.Text(), nullable=True),
        sa.Column('preferred_district', sa.String(length=4), nullable=True),
        sa.Column('max_distance_miles', sa.Integer(), nullable=True),
        sa.Column('avoid_districts', sa.JSON(), nullable=False),
        sa.Column('emergency', sa.Boolean(), nullable=False),
        sa.Column('start_date', sa.Date(), nullable=True),
        sa.Column('expected_duration', sa.String(length=30), nullable=True),
        sa.Column('response_deadline', UTCDateTime(), nullable=True),
        sa.Column('clarification_cutoff', UTCDateTime(), nullable=True),
        sa.Column('min_outcome_score', sa.Integer(), nullable=False),
        sa.Column('quality_threshold', sa.Integer(), nullable=False),
        sa.Column('outcome_weights', sa.JSON(), nullable=False),
        sa.Column('price_method', sa.String(length=20), nullable=False),
        sa.Column('quality_weight', sa.Integer(), nullable=False),
        sa.Column('case_reference', sa.String(length=40), nullable=True),
        sa.Column('budget_ceiling_pence', sa.BigInteger(), nullable=True),
        sa.Column('internal_notes', sa.Text(), nullable=True),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.Column('updated_at', UTCDateTime(), nullable=False),
        sa.Column('published_at', UTCDateTime(), nullable=True),
        sa.Column('closed_at', UTCDateTime(), nullable=True),
        sa.Column('cancelled_at', UTCDateTime(), nullable=True),
        sa.CheckConstraint("status = 'draft' OR published_at IS NOT NULL", name=op.f('ck_referral_published_at')),
        sa.CheckConstraint("status IN ('draft', 'published', 'closed', 'quality_evaluated', 'price_evaluated', 'awarded', 'placed', 'cancelled', 'no_suitable_proposal')", name=op.f('ck_referral_status')),
        sa.CheckConstraint('age IS NULL OR (age >= 0 AND age <= 25)', name=op.f('ck_referral_age')),
        sa.CheckConstraint('budget_ceiling_pence IS NULL OR budget_ceiling_pence > 0', name=op.f('ck_referral_budget')),
        sa.CheckConstraint('group_size >= 1 AND group_size <= 8', name=op.f('ck_referral_group_size')),
        sa.CheckConstraint('max_distance_miles IS NULL OR max_distance_miles > 0', name=op.f('ck_referral_max_distance')),
        sa.CheckConstraint('min_outcome_score >= 0 AND min_outcome_score <= 4', name=op.f('ck_referral_min_outcome_score')),
        sa.CheckConstraint('quality_threshold >= 0 AND quality_threshold <= 100', name=op.f('ck_referral_quality_threshold')),
        sa.CheckConstraint('quality_weight >= 0 AND quality_weight <= 100', name=op.f('ck_referral_quality_weight')),
        sa.ForeignKeyConstraint(['council_id'], ['organisation.id'], name=op.f('fk_referral_council_id_organisation')),
        sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_referral_created_by_id_user_account')),
        sa.ForeignKeyConstraint(['dps_id'], ['dps.id'], name=op.f('fk_referral_dps_id_dps')),
        sa.ForeignKeyConstraint(['lot_id'], ['lot.id'], name=op.f('fk_referral_lot_id_lot')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_referral'))
        )
    op.create_index('ix_referral_council_status', 'referral', ['council_id', 'status'], unique=False)
    op.create_table('referral_need',
        sa.Column('referral_id', sa.Integer(), nullable=False),
        sa.Column('need_code', sa.String(length=60), nullable=False),
        sa.Column('severity', sa.String(length=10), nullable=False),
        sa.Column('essential', sa.Boolean(), nullable=False),
        sa.CheckConstraint("severity IN ('low', 'medium', 'high')", name=op.f('ck_referral_need_severity')),
        sa.ForeignKeyConstraint(['need_code'], ['need.code'], name=op.f('fk_referral_need_need_code_need')),
        sa.ForeignKeyConstraint(['referral_id'], ['referral.id'], name=op.f('fk_referral_need_referral_id_referral'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('referral_id', 'need_code', name=op.f('pk_referral_need'))
        )


def downgrade() -> None:
    op.drop_table('referral_need')
    op.drop_index('ix_referral_council_status', table_name='referral')
    op.drop_table('referral')
