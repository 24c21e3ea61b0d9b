"""Awards: at most one active award per referral (partial unique index)

Revision ID: 0025_award
Revises: 0024_panel
"""
from alembic import op
import sqlalchemy as sa
from portal.core.db import UTCDateTime  # noqa: F401

revision = "0025_award"
down_revision = "0024_panel"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('award',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('referral_id', sa.Integer(), nullable=False),
    sa.Column('proposal_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('provider_id', sa.Integer(), nullable=False),
    sa.Column('setting_id', sa.Integer(), nullable=False),
    sa.Column('weekly_cost_pence', sa.BigInteger(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('awarded_by_id', sa.Integer(), nullable=True),
    sa.Column('awarded_at', UTCDateTime(), nullable=False),
    sa.CheckConstraint("kind <> 'competition' OR proposal_id IS NOT NULL", name=op.f('ck_award_competition_has_proposal')),
    sa.CheckConstraint("kind <> 'spot_purchase' OR (reason IS NOT NULL AND proposal_id IS NULL)", name=op.f('ck_award_spot_purchase_rationale')),
    sa.CheckConstraint("kind IN ('competition', 'spot_purchase')", name=op.f('ck_award_kind')),
    sa.CheckConstraint("status IN ('active', 'rescinded')", name=op.f('ck_award_status')),
    sa.CheckConstraint('weekly_cost_pence > 0', name=op.f('ck_award_weekly_cost')),
    sa.ForeignKeyConstraint(['awarded_by_id'], ['user_account.id'], name=op.f('fk_award_awarded_by_id_user_account')),
    sa.ForeignKeyConstraint(['proposal_id'], ['proposal.id'], name=op.f('fk_award_proposal_id_proposal')),
    sa.ForeignKeyConstraint(['provider_id'], ['organisation.id'], name=op.f('fk_award_provider_id_organisation')),
    sa.ForeignKeyConstraint(['referral_id'], ['referral.id'], name=op.f('fk_award_referral_id_referral'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['setting_id'], ['setting.id'], name=op.f('fk_award_setting_id_setting')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_award'))
    )
    with op.batch_alter_table('award', schema=None) as batch_op:
        batch_op.create_index('uq_award_active_referral', ['referral_id'], unique=True, postgresql_where=sa.text("status = 'active'"), sqlite_where=sa.text("status = 'active'"))


def downgrade() -> None:
    op.drop_table('award')
