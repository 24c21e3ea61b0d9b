"""Compliance statuses with reasons, and their history

Revision ID: 0031_compliance
Revises: 0030_monthly_return
"""
from alembic import op
import sqlalchemy as sa
from portal.core.db import UTCDateTime  # noqa: F401

revision = "0031_compliance"
down_revision = "0030_monthly_return"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('compliance_status',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('subject_type', sa.String(length=10), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=False),
    sa.Column('provider_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('reasons', sa.JSON(), nullable=False),
    sa.Column('failing_since', sa.JSON(), nullable=False),
    sa.Column('changed_at', UTCDateTime(), nullable=False),
    sa.Column('evaluated_at', UTCDateTime(), nullable=False),
    sa.Column('lifted_at', UTCDateTime(), nullable=True),
    sa.Column('lifted_reason', sa.Text(), nullable=True),
    sa.Column('lifted_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("status IN ('compliant', 'warning', 'at_risk', 'non_compliant', 'suspended')", name=op.f('ck_compliance_status_status')),
    sa.CheckConstraint("subject_type IN ('provider', 'setting')", name=op.f('ck_compliance_status_subject_type')),
    sa.CheckConstraint('(lifted_at IS NULL) = (lifted_reason IS NULL)', name=op.f('ck_compliance_status_lift_reason')),
    sa.ForeignKeyConstraint(['lifted_by_id'], ['user_account.id'], name=op.f('fk_compliance_status_lifted_by_id_user_account')),
    sa.ForeignKeyConstraint(['provider_id'], ['organisation.id'], name=op.f('fk_compliance_status_provider_id_organisation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_compliance_status')),
    sa.UniqueConstraint('subject_type', 'subject_id', name='subject')
    )
    with op.batch_alter_table('compliance_status', schema=None) as batch_op:
        batch_op.create_index('ix_compliance_status_status', ['status'], unique=False)
    op.create_table('compliance_change',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('subject_type', sa.String(length=10), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=False),
    sa.Column('provider_id', sa.Integer(), nullable=False),
    sa.Column('from_status', sa.String(length=20), nullable=True),
    sa.Column('to_status', sa.String(length=20), nullable=False),
    sa.Column('reasons', sa.JSON(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('changed_at', UTCDateTime(), nullable=False),
    sa.CheckConstraint("from_status IS NULL OR from_status IN ('compliant', 'warning', 'at_risk', 'non_compliant', 'suspended')", name=op.f('ck_compliance_change_from_status')),
    sa.CheckConstraint("subject_type IN ('provider', 'setting')", name=op.f('ck_compliance_change_subject_type')),
    sa.CheckConstraint("to_status IN ('compliant', 'warning', 'at_risk', 'non_compliant', 'suspended')", name=op.f('ck_compliance_change_to_status')),
    sa.ForeignKeyConstraint(['actor_id'], ['user_account.id'], name=op.f('fk_compliance_change_actor_id_user_account')),
    sa.ForeignKeyConstraint(['provider_id'], ['organisation.id'], name=op.f('fk_compliance_change_provider_id_organisation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_compliance_change'))
    )
    with op.batch_alter_table('compliance_change', schema=None) as batch_op:
        batch_op.create_index('ix_compliance_change_subject', ['subject_type', 'subject_id', 'changed_at'], unique=False)


def downgrade() -> None:
    op.drop_table('compliance_change')
    op.drop_table('compliance_status')
