"""Monitoring visits and each standard's judgement

Revision ID: 0028_monitoring_visit
Revises: 0027_quality_standard
"""
from alembic import op
import sqlalchemy as sa
from portal.core.db import UTCDateTime  # noqa: F401

revision = "0028_monitoring_visit"
down_revision = "0027_quality_standard"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('monitoring_visit',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('setting_id', sa.Integer(), nullable=False),
    sa.Column('provider_id', sa.Integer(), nullable=False),
    sa.Column('council_id', sa.Integer(), nullable=False),
    sa.Column('officer_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('planned_for', sa.Date(), nullable=False),
    sa.Column('visited_on', sa.Date(), nullable=True),
    sa.Column('trigger_reason', sa.Text(), nullable=True),
    sa.Column('overall_judgement', sa.String(length=30), nullable=True),
    sa.Column('summary', sa.Text(), nullable=True),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.Column('completed_at', UTCDateTime(), nullable=True),
    sa.Column('report_issued_at', UTCDateTime(), nullable=True),
    sa.Column('cancelled_at', UTCDateTime(), nullable=True),
    sa.CheckConstraint("kind <> 'triggered' OR trigger_reason IS NOT NULL", name=op.f('ck_monitoring_visit_trigger_reason')),
    sa.CheckConstraint("kind IN ('planned', 'unannounced', 'triggered')", name=op.f('ck_monitoring_visit_kind')),
    sa.CheckConstraint("overall_judgement IS NULL OR overall_judgement IN ('outstanding', 'good', 'requires_improvement', 'inadequate')", name=op.f('ck_monitoring_visit_overall_judgement')),
    sa.CheckConstraint("status <> 'report_issued' OR report_issued_at IS NOT NULL", name=op.f('ck_monitoring_visit_report_issued')),
    sa.CheckConstraint("status IN ('planned', 'completed', 'report_issued', 'cancelled')", name=op.f('ck_monitoring_visit_status')),
    sa.CheckConstraint("status NOT IN ('completed', 'report_issued') OR (completed_at IS NOT NULL AND overall_judgement IS NOT NULL AND visited_on IS NOT NULL)", name=op.f('ck_monitoring_visit_completed')),
    sa.ForeignKeyConstraint(['council_id'], ['organisation.id'], name=op.f('fk_monitoring_visit_council_id_organisation')),
    sa.ForeignKeyConstraint(['officer_id'], ['user_account.id'], name=op.f('fk_monitoring_visit_officer_id_user_account')),
    sa.ForeignKeyConstraint(['provider_id'], ['organisation.id'], name=op.f('fk_monitoring_visit_provider_id_organisation')),
    sa.ForeignKeyConstraint(['setting_id'], ['setting.id'], name=op.f('fk_monitoring_visit_setting_id_setting')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_monitoring_visit'))
    )
    with op.batch_alter_table('monitoring_visit', schema=None) as batch_op:
        batch_op.create_index('ix_monitoring_visit_setting', ['setting_id', 'status'], unique=False)
    op.create_table('visit_judgement',
    sa.Column('visit_id', sa.Integer(), nullable=False),
    sa.Column('standard_id', sa.Integer(), nullable=False),
    sa.Column('judgement', sa.String(length=20), nullable=False),
    sa.Column('evidence', sa.Text(), nullable=False),
    sa.CheckConstraint("judgement IN ('met', 'partly_met', 'not_met')", name=op.f('ck_visit_judgement_judgement')),
    sa.ForeignKeyConstraint(['standard_id'], ['quality_standard.id'], name=op.f('fk_visit_judgement_standard_id_quality_standard')),
    sa.ForeignKeyConstraint(['visit_id'], ['monitoring_visit.id'], name=op.f('fk_visit_judgement_visit_id_monitoring_visit'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('visit_id', 'standard_id', name=op.f('pk_visit_judgement'))
    )


def downgrade() -> None:
    op.drop_table('visit_judgement')
    op.drop_table('monitoring_visit')
