"""The officer's referral list, newest first, a page at a time: an index in that order, so a council with thousands
of referrals gets its page without sorting them all

Revision ID: 0040_referral_list_index
Revises: 0039_foreign_key_indexes
"""
from alembic import op

revision = "0040_referral_list_index"
down_revision = "0039_foreign_key_indexes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_referral_council_created", "referral", ["council_id", "created_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_referral_council_created", table_name="referral")
