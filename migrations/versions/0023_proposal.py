"""Proposals, their itemised additional services and every revision kept

Revision ID: 0023_proposal
Revises: 0022_clarification
"""
from alembic import op
import sqlalchemy as sa
from portal.core.db import UTCDateTime  # noqa: F401

revision = "0023_proposal"
down_revision = "0022_clarification"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('proposal',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('referral_id', sa.Integer(), nullable=False),
    sa.Column('provider_id', sa.Integer(), nullable=False),
    sa.Column('setting_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('outcome_answers', sa.JSON(), nullable=False),
    sa.Column('need_answers', sa.JSON(), nullable=False),
    sa.Column('staffing', sa.Text(), nullable=True),
    sa.Column('education_offer', sa.Text(), nullable=True),
    sa.Column('start_date', sa.Date(), nullable=True),
    sa.Column('weekly_core_fee_pence', sa.BigInteger(), nullable=True),
    sa.Column('notice_period_weeks', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.Column('updated_at', UTCDateTime(), nullable=False),
    sa.Column('submitted_at', UTCDateTime(), nullable=True),
    sa.Column('withdrawn_at', UTCDateTime(), nullable=True),
    sa.Column('blind_position', sa.Integer(), nullable=True),
    sa.Column('quality_percent', sa.Numeric(precision=5, scale=2), nullable=True),
    sa.Column('suitable', sa.Boolean(), nullable=True),
    sa.Column('weekly_cost_pence', sa.BigInteger(), nullable=True),
    sa.Column('price_score', sa.Numeric(precision=6, scale=2), nullable=True),
    sa.Column('final_score', sa.Numeric(precision=6, scale=2), nullable=True),
    sa.Column('rank', sa.Integer(), nullable=True),
    sa.CheckConstraint("status <> 'submitted' OR (submitted_at IS NOT NULL AND setting_id IS NOT NULL AND weekly_core_fee_pence IS NOT NULL)", name=op.f('ck_proposal_submitted_complete')),
    sa.CheckConstraint("status <> 'withdrawn' OR withdrawn_at IS NOT NULL", name=op.f('ck_proposal_withdrawn_at')),
    sa.CheckConstraint("status IN ('draft', 'submitted', 'withdrawn')", name=op.f('ck_proposal_status')),
    sa.CheckConstraint('notice_period_weeks IS NULL OR (notice_period_weeks >= 0 AND notice_period_weeks <= 52)', name=op.f('ck_proposal_notice_period')),
    sa.CheckConstraint('quality_percent IS NULL OR (quality_percent >= 0 AND quality_percent <= 100)', name=op.f('ck_proposal_quality_percent')),
    sa.CheckConstraint('weekly_core_fee_pence IS NULL OR weekly_core_fee_pence > 0', name=op.f('ck_proposal_core_fee_positive')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_proposal_created_by_id_user_account')),
    sa.ForeignKeyConstraint(['provider_id'], ['organisation.id'], name=op.f('fk_proposal_provider_id_organisation')),
    sa.ForeignKeyConstraint(['referral_id'], ['referral.id'], name=op.f('fk_proposal_referral_id_referral'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['setting_id'], ['setting.id'], name=op.f('fk_proposal_setting_id_setting')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_proposal')),
    sa.UniqueConstraint('referral_id', 'blind_position', name='blind_position')
    )
    with op.batch_alter_table('proposal', schema=None) as batch_op:
        batch_op.create_index('ix_proposal_referral_status', ['referral_id', 'status'], unique=False)
        batch_op.create_index('uq_proposal_live', ['referral_id', 'provider_id'], unique=True, postgresql_where=sa.text("status IN ('draft', 'submitted')"), sqlite_where=sa.text("status IN ('draft', 'submitted')"))
    op.create_table('proposal_service',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('proposal_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('description', sa.String(length=200), nullable=False),
    sa.Column('unit', sa.String(length=40), nullable=False),
    sa.Column('unit_price_pence', sa.BigInteger(), nullable=False),
    sa.Column('quantity_per_week', sa.Numeric(precision=7, scale=2), nullable=False),
    sa.Column('weeks', sa.Integer(), nullable=False),
    sa.CheckConstraint('quantity_per_week > 0', name=op.f('ck_proposal_service_quantity')),
    sa.CheckConstraint('unit_price_pence >= 0', name=op.f('ck_proposal_service_unit_price')),
    sa.CheckConstraint('weeks > 0 AND weeks <= 520', name=op.f('ck_proposal_service_weeks')),
    sa.ForeignKeyConstraint(['proposal_id'], ['proposal.id'], name=op.f('fk_proposal_service_proposal_id_proposal'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_proposal_service'))
    )
    with op.batch_alter_table('proposal_service', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_proposal_service_proposal_id'), ['proposal_id'], unique=False)
    op.create_table('proposal_revision',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('proposal_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('content', sa.JSON(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_proposal_revision_created_by_id_user_account')),
    sa.ForeignKeyConstraint(['proposal_id'], ['proposal.id'], name=op.f('fk_proposal_revision_proposal_id_proposal'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_proposal_revision')),
    sa.UniqueConstraint('proposal_id', 'number', name='number')
    )


def downgrade() -> None:
    op.drop_table('proposal_revision')
    op.drop_table('proposal_service')
    op.drop_table('proposal')
