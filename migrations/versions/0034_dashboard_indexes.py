"""Indexes the sufficiency dashboard needs at national scale (bench/dashboard.py): referrals by council and
publish date, declines, submitted proposals, active awards and current placements

Revision ID: 0034_dashboard_indexes
Revises: 0033_forum_meeting
"""
from alembic import op
import sqlalchemy as sa

revision = "0034_dashboard_indexes"
down_revision = "0033_forum_meeting"
branch_labels = None
depends_on = None

INDEXES = [
    ("ix_referral_council_published", "referral", ["council_id", "published_at"], ["status", "lot_id"], None),
    ("ix_referral_provider_declined", "referral_provider", ["referral_id"], ["decline_reason"],
     "declined_at IS NOT NULL"),
    ("ix_proposal_referral_submitted", "proposal", ["referral_id"], ["suitable", "weekly_cost_pence"],
     "status = 'submitted'"),
    ("ix_award_active_kind", "award", ["referral_id"], ["kind", "weekly_cost_pence", "awarded_at"],
     "status = 'active'"),
    ("ix_placement_council_current", "placement", ["council_id"], ["weekly_cost_pence", "referral_id"],
     "end_date IS NULL"),
]


def upgrade() -> None:
    for name, table, columns, include, where in INDEXES:
        condition = sa.text(where) if where else None
        op.create_index(name, table, columns, postgresql_include=include, postgresql_where=condition,
                        sqlite_where=condition)


def downgrade() -> None:
    for name, table, *_ in reversed(INDEXES):
        op.drop_index(name, table_name=table)
