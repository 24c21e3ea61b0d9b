"""Account lockout: consecutive failed sign-ins and when the account was locked

Revision ID: 0037_account_lockout
Revises: 0036_recovery_code
"""
from alembic import op
import sqlalchemy as sa
from portal.core.db import UTCDateTime  # noqa: F401

revision = "0037_account_lockout"
down_revision = "0036_recovery_code"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('user_account') as batch:
        batch.add_column(sa.Column('failed_login_count', sa.Integer(), server_default='0', nullable=False))
        batch.add_column(sa.Column('locked_at', UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('user_account') as batch:
        batch.drop_column('locked_at')
        batch.drop_column('failed_login_count')
