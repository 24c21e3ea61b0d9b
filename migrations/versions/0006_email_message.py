"""Emails rendered and queued for sending

Revision ID: 0006_email_message
Revises: 0005_job_run
"""
from alembic import op
import sqlalchemy as sa
from portal.core.db import UTCDateTime

revision = "0006_email_message"
down_revision = '0005_job_run'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('email_message',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=255), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('to_address', sa.String(length=254), nullable=False),
        sa.Column('kind', sa.String(length=60), nullable=False),
        sa.Column('subject', sa.String(length=300), nullable=False),
        sa.Column('body_text', sa.Text(), nullable=False),
        sa.Column('body_html', sa.Text(), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('transport', sa.String(length=20), nullable=True),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.Column('sent_at', UTCDateTime(), nullable=True),
        sa.CheckConstraint("status IN ('queued', 'sent', 'failed')", name=op.f('ck_email_message_status')),
        sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_email_message_user_id_user_account')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_email_message')),
        sa.UniqueConstraint('key', name=op.f('uq_email_message_key'))
        )
    op.create_index(op.f('ix_email_message_user_id'), 'email_message', ['user_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_email_message_user_id'), table_name='email_message')
    op.drop_table('email_message')
