"""Clarification questions and their answers to every invitee

Revision ID: 0022_clarification
Revises: 0021_referral_evaluation_fields
"""
from alembic import op
import sqlalchemy as sa
from portal.core.db import UTCDateTime  # noqa: F401

revision = "0022_clarification"
down_revision = "0021_referral_evaluation_fields"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('clarification',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('referral_id', sa.Integer(), nullable=False),
    sa.Column('provider_id', sa.Integer(), nullable=False),
    sa.Column('asked_by_id', sa.Integer(), nullable=True),
    sa.Column('question', sa.Text(), nullable=False),
    sa.Column('asked_at', UTCDateTime(), nullable=False),
    sa.Column('answer', sa.Text(), nullable=True),
    sa.Column('answered_at', UTCDateTime(), nullable=True),
    sa.Column('answered_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('(answer IS NULL) = (answered_at IS NULL)', name=op.f('ck_clarification_answered')),
    sa.ForeignKeyConstraint(['answered_by_id'], ['user_account.id'], name=op.f('fk_clarification_answered_by_id_user_account')),
    sa.ForeignKeyConstraint(['asked_by_id'], ['user_account.id'], name=op.f('fk_clarification_asked_by_id_user_account')),
    sa.ForeignKeyConstraint(['provider_id'], ['organisation.id'], name=op.f('fk_clarification_provider_id_organisation')),
    sa.ForeignKeyConstraint(['referral_id'], ['referral.id'], name=op.f('fk_clarification_referral_id_referral'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_clarification'))
    )
    with op.batch_alter_table('clarification', schema=None) as batch_op:
        batch_op.create_index('ix_clarification_referral', ['referral_id', 'asked_at'], unique=False)


def downgrade() -> None:
    op.drop_table('clarification')
