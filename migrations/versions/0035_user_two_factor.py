"""Two-factor sign-in: each user may hold a confirmed TOTP secret (required for council roles)

Revision ID: 0035_user_two_factor
Revises: 0034_dashboard_indexes
"""
from alembic import op
import sqlalchemy as sa
from portal.core.db import UTCDateTime  # noqa: F401

revision = "0035_user_two_factor"
down_revision = "0034_dashboard_indexes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('user_account') as batch:
        batch.add_column(sa.Column('totp_secret', sa.String(length=64), nullable=True))
        batch.add_column(sa.Column('totp_enabled_at', UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('user_account') as batch:
        batch.drop_column('totp_enabled_at')
        batch.drop_column('totp_secret')
