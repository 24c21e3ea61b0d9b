"""Summary table for the sufficiency picture: one narrow row per published referral (what it drew and cost)

Revision ID: 0038_referral_competition
Revises: 0037_account_lockout
"""
from alembic import op
import sqlalchemy as sa
from portal.core.db import UTCDateTime  # noqa: F401

revision = "0038_referral_competition"
down_revision = "0037_account_lockout"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('referral_competition',
    sa.Column('referral_id', sa.Integer(), nullable=False),
    sa.Column('council_id', sa.Integer(), nullable=False),
    sa.Column('lot_kind', sa.String(length=40), nullable=True),
    sa.Column('area', sa.String(length=12), nullable=False),
    sa.Column('status', sa.String(length=30), nullable=False),
    sa.Column('published_at', UTCDateTime(), nullable=True),
    sa.Column('awarded_at', UTCDateTime(), nullable=True),
    sa.Column('submitted', sa.Integer(), nullable=False),
    sa.Column('suitable', sa.Integer(), nullable=False),
    sa.Column('median_suitable_pence', sa.BigInteger(), nullable=True),
    sa.Column('award_kind', sa.String(length=20), nullable=True),
    sa.Column('awarded_cost_pence', sa.BigInteger(), nullable=True),
    sa.Column('refreshed_at', UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['council_id'], ['organisation.id'],
                            name=op.f('fk_referral_competition_council_id_organisation')),
    sa.ForeignKeyConstraint(['referral_id'], ['referral.id'],
                            name=op.f('fk_referral_competition_referral_id_referral'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('referral_id', name=op.f('pk_referral_competition'))
    )
    op.create_index('ix_referral_competition_council_published', 'referral_competition',
                    ['council_id', 'published_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_referral_competition_council_published', table_name='referral_competition')
    op.drop_table('referral_competition')
