"""Distribution: every provider considered for a referral, invited or not and why

Revision ID: 0019_referral_provider
Revises: 0018_referral
"""
from alembic import op
import sqlalchemy as sa
from portal.core.db import UTCDateTime

revision = "0019_referral_provider"
down_revision = "0018_referral"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('referral_provider',
        sa.Column('referral_id', sa.Integer(), nullable=False),
        sa.Column('provider_id', sa.Integer(), nullable=False),
        sa.Column('invited', sa.Boolean(), nullable=False),
        sa.Column('reasons', sa.JSON(), nullable=False),
        sa.Column('setting_ids', sa.JSON(), nullable=False),
        sa.Column('rank', sa.Integer(), nullable=True),
        sa.Column('invited_at', UTCDateTime(), nullable=True),
        sa.Column('declined_at', UTCDateTime(), nullable=True),
        sa.Column('decline_reason', sa.String(length=30), nullable=True),
        sa.Column('decline_text', sa.Text(), nullable=True),
        sa.CheckConstraint("decline_reason IS NULL OR decline_reason IN ('no_vacancy', 'cannot_meet_needs', 'location', 'other')", name=op.f('ck_referral_provider_decline_reason')),
        sa.CheckConstraint('invited OR declined_at IS NULL', name=op.f('ck_referral_provider_decline_needs_invitation')),
        sa.ForeignKeyConstraint(['provider_id'], ['organisation.id'], name=op.f('fk_referral_provider_provider_id_organisation')),
        sa.ForeignKeyConstraint(['referral_id'], ['referral.id'], name=op.f('fk_referral_provider_referral_id_referral'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('referral_id', 'provider_id', name=op.f('pk_referral_provider'))
        )
    op.create_index('ix_referral_provider_provider_invited', 'referral_provider', ['provider_id', 'invited'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_referral_provider_provider_invited', table_name='referral_provider')
    op.drop_table('referral_provider')
