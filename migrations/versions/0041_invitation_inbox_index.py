"""The provider's invitations, newest first, a page at a time: an index of each provider's invitations by when they
were sent, so a fostering agency with thousands gets its page (and its count) from the index alone

Revision ID: 0041_invitation_inbox_index
Revises: 0040_referral_list_index
"""
from alembic import op
import sqlalchemy as sa

revision = "0041_invitation_inbox_index"
down_revision = "0040_referral_list_index"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_referral_provider_inbox", "referral_provider", ["provider_id", "invited_at", "referral_id"],
                    postgresql_where=sa.text("invited"), sqlite_where=sa.text("invited"))


def downgrade() -> None:
    op.drop_index("ix_referral_provider_inbox", table_name="referral_provider")
