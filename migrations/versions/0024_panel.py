"""The evaluation panel: assignments, blind scores and moderated scores

Revision ID: 0024_panel
Revises: 0023_proposal
"""
from alembic import op
import sqlalchemy as sa
from portal.core.db import UTCDateTime  # noqa: F401

revision = "0024_panel"
down_revision = "0023_proposal"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('panel_assignment',
    sa.Column('referral_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('assigned_by_id', sa.Integer(), nullable=True),
    sa.Column('assigned_at', UTCDateTime(), nullable=False),
    sa.Column('submitted_at', UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['assigned_by_id'], ['user_account.id'], name=op.f('fk_panel_assignment_assigned_by_id_user_account')),
    sa.ForeignKeyConstraint(['referral_id'], ['referral.id'], name=op.f('fk_panel_assignment_referral_id_referral'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_panel_assignment_user_id_user_account')),
    sa.PrimaryKeyConstraint('referral_id', 'user_id', name=op.f('pk_panel_assignment'))
    )
    op.create_table('panel_score',
    sa.Column('proposal_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('outcome', sa.String(length=30), nullable=False),
    sa.Column('score', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('updated_at', UTCDateTime(), nullable=False),
    sa.CheckConstraint("outcome IN ('be_healthy', 'stay_safe', 'enjoy_and_achieve', 'positive_contribution', 'economic_wellbeing')", name=op.f('ck_panel_score_outcome')),
    sa.CheckConstraint('score >= 0 AND score <= 4', name=op.f('ck_panel_score_score')),
    sa.ForeignKeyConstraint(['proposal_id'], ['proposal.id'], name=op.f('fk_panel_score_proposal_id_proposal'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_panel_score_user_id_user_account')),
    sa.PrimaryKeyConstraint('proposal_id', 'user_id', 'outcome', name=op.f('pk_panel_score'))
    )
    op.create_table('moderated_score',
    sa.Column('proposal_id', sa.Integer(), nullable=False),
    sa.Column('outcome', sa.String(length=30), nullable=False),
    sa.Column('score', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('moderated_by_id', sa.Integer(), nullable=True),
    sa.Column('moderated_at', UTCDateTime(), nullable=False),
    sa.CheckConstraint("outcome IN ('be_healthy', 'stay_safe', 'enjoy_and_achieve', 'positive_contribution', 'economic_wellbeing')", name=op.f('ck_moderated_score_outcome')),
    sa.CheckConstraint('score >= 0 AND score <= 4', name=op.f('ck_moderated_score_score')),
    sa.ForeignKeyConstraint(['moderated_by_id'], ['user_account.id'], name=op.f('fk_moderated_score_moderated_by_id_user_account')),
    sa.ForeignKeyConstraint(['proposal_id'], ['proposal.id'], name=op.f('fk_moderated_score_proposal_id_proposal'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('proposal_id', 'outcome', name=op.f('pk_moderated_score'))
    )


def downgrade() -> None:
    op.drop_table('moderated_score')
    op.drop_table('panel_score')
    op.drop_table('panel_assignment')
