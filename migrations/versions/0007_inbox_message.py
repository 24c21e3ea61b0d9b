"""Portal inbox

Revision ID: 0007_inbox_message
Revises: 0006_email_message
"""
from alembic import op
import sqlalchemy as sa
from portal.core.db import UTCDateTime

revision = "0007_inbox_message"
down_revision = '0006_email_message'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('inbox_message',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=255), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=60), nullable=False),
        sa.Column('subject', sa.String(length=300), nullable=False),
        sa.Column('body_text', sa.Text(), nullable=False),
        sa.Column('link', sa.String(length=500), nullable=True),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.Column('read_at', UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_inbox_message_user_id_user_account')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_inbox_message')),
        sa.UniqueConstraint('key', name=op.f('uq_inbox_message_key'))
        )
    op.create_index('ix_inbox_message_user_created', 'inbox_message', ['user_id', 'created_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_inbox_message_user_created', table_name='inbox_message')
    op.drop_table('inbox_message')
