"""Providers' monthly returns per setting

Revision ID: 0030_monthly_return
Revises: 0029_qa_action
"""
from alembic import op
import sqlalchemy as sa
from portal.core.db import UTCDateTime  # noqa: F401

revision = "0030_monthly_return"
down_revision = "0029_qa_action"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('monthly_return',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('setting_id', sa.Integer(), nullable=False),
    sa.Column('provider_id', sa.Integer(), nullable=False),
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('incidents', sa.Integer(), nullable=False),
    sa.Column('missing_episodes', sa.Integer(), nullable=False),
    sa.Column('education_attendance_percent', sa.Numeric(precision=5, scale=2), nullable=False),
    sa.Column('unplanned_endings', sa.Integer(), nullable=False),
    sa.Column('staff_vacancies', sa.Integer(), nullable=False),
    sa.Column('submitted_at', UTCDateTime(), nullable=False),
    sa.Column('submitted_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('education_attendance_percent >= 0 AND education_attendance_percent <= 100', name=op.f('ck_monthly_return_attendance')),
    sa.CheckConstraint('incidents >= 0 AND missing_episodes >= 0 AND unplanned_endings >= 0 AND staff_vacancies >= 0', name=op.f('ck_monthly_return_counts')),
    sa.ForeignKeyConstraint(['provider_id'], ['organisation.id'], name=op.f('fk_monthly_return_provider_id_organisation')),
    sa.ForeignKeyConstraint(['setting_id'], ['setting.id'], name=op.f('fk_monthly_return_setting_id_setting')),
    sa.ForeignKeyConstraint(['submitted_by_id'], ['user_account.id'], name=op.f('fk_monthly_return_submitted_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_monthly_return')),
    sa.UniqueConstraint('setting_id', 'month', name='setting_month')
    )


def downgrade() -> None:
    op.drop_table('monthly_return')
