"""The audit trail

Revision ID: 0003_audit_event
Revises: 0002_user_account
"""
from alembic import op
import sqlalchemy as sa
from portal.core.db import UTCDateTime

revision = "0003_audit_event"
down_revision = '0002_user_account'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('audit_event',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
        sa.Column('occurred_at', UTCDateTime(), nullable=False),
        sa.Column('actor_id', sa.Integer(), nullable=True),
        sa.Column('organisation_id', sa.Integer(), nullable=True),
        sa.Column('action', sa.String(length=80), nullable=False),
        sa.Column('object_type', sa.String(length=60), nullable=False),
        sa.Column('object_id', sa.String(length=60), nullable=False),
        sa.Column('before', sa.JSON(), nullable=True),
        sa.Column('after', sa.JSON(), nullable=True),
        sa.Column('ip', sa.String(length=45), nullable=True),
        sa.ForeignKeyConstraint(['actor_id'], ['user_account.id'], name=op.f('fk_audit_event_actor_id_user_account')),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_audit_event_organisation_id_organisation')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_event'))
        )
    op.create_index('ix_audit_event_object', 'audit_event', ['object_type', 'object_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_audit_event_object', table_name='audit_event')
    op.drop_table('audit_event')
