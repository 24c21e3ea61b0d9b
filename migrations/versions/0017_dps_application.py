"""DPS applications (admission lifecycle) and the lots they cover

Revision ID: 0017_dps_application
Revises: 0016_document
"""
from alembic import op
import sqlalchemy as sa
from portal.core.db import UTCDateTime

revision = "0017_dps_application"
down_revision = "0016_document"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('dps_application',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('dps_id', sa.Integer(), nullable=False),
        sa.Column('provider_id', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=30), nullable=False),
        sa.Column('questionnaire', sa.JSON(), nullable=False),
        sa.Column('submitted_at', UTCDateTime(), nullable=True),
        sa.Column('decision_due_on', sa.Date(), nullable=True),
        sa.Column('extended', sa.Boolean(), nullable=False),
        sa.Column('extension_reason', sa.Text(), nullable=True),
        sa.Column('clarification_request', sa.Text(), nullable=True),
        sa.Column('decided_at', UTCDateTime(), nullable=True),
        sa.Column('decision_reason', sa.Text(), nullable=True),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.Column('updated_at', UTCDateTime(), nullable=False),
        sa.CheckConstraint("status = 'draft' OR submitted_at IS NOT NULL", name=op.f('ck_dps_application_submitted')),
        sa.CheckConstraint("status IN ('draft', 'submitted', 'clarification_requested', 'admitted', 'rejected', 'suspended', 'withdrawn')", name=op.f('ck_dps_application_status')),
        sa.CheckConstraint('extension_reason IS NOT NULL OR NOT extended', name=op.f('ck_dps_application_extension_reason')),
        sa.ForeignKeyConstraint(['dps_id'], ['dps.id'], name=op.f('fk_dps_application_dps_id_dps')),
        sa.ForeignKeyConstraint(['provider_id'], ['organisation.id'], name=op.f('fk_dps_application_provider_id_organisation')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_dps_application'))
        )
    op.create_index('ix_dps_application_status_due', 'dps_application', ['status', 'decision_due_on'], unique=False)
    op.create_index('uq_dps_application_in_progress', 'dps_application', ['dps_id', 'provider_id'], unique=True, postgresql_where=sa.text("status IN ('draft', 'submitted', 'clarification_requested')"), sqlite_where=sa.text("status IN ('draft', 'submitted', 'clarification_requested')"))
    op.create_table('dps_application_lot',
        sa.Column('application_id', sa.Integer(), nullable=False),
        sa.Column('lot_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['application_id'], ['dps_application.id'], name=op.f('fk_dps_application_lot_application_id_dps_application'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['lot_id'], ['lot.id'], name=op.f('fk_dps_application_lot_lot_id_lot')),
        sa.PrimaryKeyConstraint('application_id', 'lot_id', name=op.f('pk_dps_application_lot'))
        )


def downgrade() -> None:
    op.drop_table('dps_application_lot')
    op.drop_index('uq_dps_application_in_progress', table_name='dps_application')
    op.drop_index('ix_dps_application_status_due', table_name='dps_application')
    op.drop_table('dps_application')
