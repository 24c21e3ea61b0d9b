"""QA actions with owner, priority, due date and status

Revision ID: 0029_qa_action
Revises: 0028_monitoring_visit
"""
from alembic import op
import sqlalchemy as sa
from portal.core.db import UTCDateTime  # noqa: F401

revision = "0029_qa_action"
down_revision = "0028_monitoring_visit"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('qa_action',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('visit_id', sa.Integer(), nullable=True),
    sa.Column('setting_id', sa.Integer(), nullable=False),
    sa.Column('provider_id', sa.Integer(), nullable=False),
    sa.Column('council_id', sa.Integer(), nullable=False),
    sa.Column('owner', sa.String(length=20), nullable=False),
    sa.Column('priority', sa.String(length=10), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('provider_response', sa.Text(), nullable=True),
    sa.Column('responded_at', UTCDateTime(), nullable=True),
    sa.Column('responded_by_id', sa.Integer(), nullable=True),
    sa.Column('close_note', sa.Text(), nullable=True),
    sa.Column('closed_at', UTCDateTime(), nullable=True),
    sa.Column('closed_by_id', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("owner IN ('provider', 'council')", name=op.f('ck_qa_action_owner')),
    sa.CheckConstraint("priority IN ('high', 'medium', 'low')", name=op.f('ck_qa_action_priority')),
    sa.CheckConstraint("status <> 'closed' OR closed_at IS NOT NULL", name=op.f('ck_qa_action_closed_at')),
    sa.CheckConstraint("status <> 'provider_responded' OR responded_at IS NOT NULL", name=op.f('ck_qa_action_responded_at')),
    sa.CheckConstraint("status IN ('open', 'provider_responded', 'overdue', 'closed')", name=op.f('ck_qa_action_status')),
    sa.ForeignKeyConstraint(['closed_by_id'], ['user_account.id'], name=op.f('fk_qa_action_closed_by_id_user_account')),
    sa.ForeignKeyConstraint(['council_id'], ['organisation.id'], name=op.f('fk_qa_action_council_id_organisation')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_qa_action_created_by_id_user_account')),
    sa.ForeignKeyConstraint(['provider_id'], ['organisation.id'], name=op.f('fk_qa_action_provider_id_organisation')),
    sa.ForeignKeyConstraint(['responded_by_id'], ['user_account.id'], name=op.f('fk_qa_action_responded_by_id_user_account')),
    sa.ForeignKeyConstraint(['setting_id'], ['setting.id'], name=op.f('fk_qa_action_setting_id_setting')),
    sa.ForeignKeyConstraint(['visit_id'], ['monitoring_visit.id'], name=op.f('fk_qa_action_visit_id_monitoring_visit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_qa_action'))
    )
    with op.batch_alter_table('qa_action', schema=None) as batch_op:
        batch_op.create_index('ix_qa_action_provider', ['provider_id', 'status'], unique=False)
        batch_op.create_index('ix_qa_action_status_due', ['status', 'due_on'], unique=False)


def downgrade() -> None:
    op.drop_table('qa_action')
