"""Councils' areas as postcode districts (for the inside-the-council flag on placements)

Revision ID: 0020_organisation_area_districts
Revises: 0019_referral_provider
"""
from alembic import op
import sqlalchemy as sa
from portal.core.db import UTCDateTime  # noqa: F401

revision = "0020_organisation_area_districts"
down_revision = "0019_referral_provider"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('organisation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('area_districts', sa.JSON(), nullable=False, server_default='[]'))


def downgrade() -> None:
    with op.batch_alter_table('organisation', schema=None) as batch_op:
        batch_op.drop_column('area_districts')
