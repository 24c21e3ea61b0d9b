"""Every foreign key gets an index: at national scale a lookup by any of them (a re-run's earlier referral, a
provider's proposals and placements, a panel member's assignments, an organisation's audit rows) was a scan
of a table of up to 1.5 million rows, and so was every delete of a parent row.

Revision ID: 0039_foreign_key_indexes
Revises: 0038_referral_competition
"""
from alembic import op

revision = "0039_foreign_key_indexes"
down_revision = "0038_referral_competition"
branch_labels = None
depends_on = None

# (table, column): each foreign key column that no index, primary key or unique constraint led with.
COLUMNS = [
    ("audit_event", "organisation_id"),
    ("audit_event", "actor_id"),
    ("award", "provider_id"),
    ("award", "awarded_by_id"),
    ("award", "setting_id"),
    ("award", "proposal_id"),
    ("clarification", "answered_by_id"),
    ("clarification", "provider_id"),
    ("clarification", "asked_by_id"),
    ("compliance_change", "provider_id"),
    ("compliance_change", "actor_id"),
    ("compliance_status", "lifted_by_id"),
    ("compliance_status", "provider_id"),
    ("document", "setting_id"),
    ("document", "uploaded_by_id"),
    ("dps_application", "provider_id"),
    ("dps_application_lot", "lot_id"),
    ("dps_council", "council_id"),
    ("feedback_request", "created_by_id"),
    ("feedback_request", "placement_id"),
    ("feedback_response", "setting_id"),
    ("feedback_response", "moderated_by_id"),
    ("feedback_response", "placement_id"),
    ("forum_meeting", "created_by_id"),
    ("forum_meeting", "dps_id"),
    ("moderated_score", "moderated_by_id"),
    ("monitoring_visit", "officer_id"),
    ("monitoring_visit", "provider_id"),
    ("monitoring_visit", "council_id"),
    ("monthly_return", "submitted_by_id"),
    ("monthly_return", "provider_id"),
    ("organisation", "council_id"),
    ("panel_assignment", "user_id"),
    ("panel_assignment", "assigned_by_id"),
    ("panel_score", "user_id"),
    ("placement", "provider_id"),
    ("placement", "setting_id"),
    ("proposal", "setting_id"),
    ("proposal", "created_by_id"),
    ("proposal", "provider_id"),
    ("proposal_revision", "created_by_id"),
    ("qa_action", "council_id"),
    ("qa_action", "created_by_id"),
    ("qa_action", "closed_by_id"),
    ("qa_action", "visit_id"),
    ("qa_action", "setting_id"),
    ("qa_action", "responded_by_id"),
    ("referral", "rerun_of_id"),
    ("referral", "dps_id"),
    ("referral", "created_by_id"),
    ("referral", "lot_id"),
    ("referral_need", "need_code"),
    ("setting_need", "need_code"),
    ("vacancy_history", "recorded_by_id"),
    ("visit_judgement", "standard_id"),
]


def upgrade() -> None:
    for table, column in COLUMNS:
        op.create_index(f"ix_{table}_{column}", table, [column])


def downgrade() -> None:
    for table, column in reversed(COLUMNS):
        op.drop_index(f"ix_{table}_{column}", table_name=table)
