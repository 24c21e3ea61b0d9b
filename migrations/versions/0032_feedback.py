"""Feedback links, responses and theme scores

Revision ID: 0032_feedback
Revises: 0031_compliance
"""
from alembic import op
import sqlalchemy as sa
from portal.core.db import UTCDateTime  # noqa: F401

revision = "0032_feedback"
down_revision = "0031_compliance"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('feedback_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('placement_id', sa.Integer(), nullable=False),
    sa.Column('respondent_type', sa.String(length=20), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('sent_to', sa.String(length=254), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.Column('expires_at', UTCDateTime(), nullable=False),
    sa.Column('used_at', UTCDateTime(), nullable=True),
    sa.CheckConstraint("respondent_type IN ('child', 'carer', 'social_worker', 'iro')", name=op.f('ck_feedback_request_respondent_type')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_feedback_request_created_by_id_user_account')),
    sa.ForeignKeyConstraint(['placement_id'], ['placement.id'], name=op.f('fk_feedback_request_placement_id_placement')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_feedback_request')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_feedback_request_token_hash'))
    )
    op.create_table('feedback_response',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('placement_id', sa.Integer(), nullable=False),
    sa.Column('setting_id', sa.Integer(), nullable=False),
    sa.Column('provider_id', sa.Integer(), nullable=False),
    sa.Column('setting_kind', sa.String(length=30), nullable=False),
    sa.Column('respondent_type', sa.String(length=20), nullable=False),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('comment_status', sa.String(length=20), nullable=False),
    sa.Column('comment_shown', sa.Text(), nullable=True),
    sa.Column('pii_findings', sa.JSON(), nullable=False),
    sa.Column('moderated_by_id', sa.Integer(), nullable=True),
    sa.Column('moderated_at', UTCDateTime(), nullable=True),
    sa.Column('submitted_at', UTCDateTime(), nullable=False),
    sa.CheckConstraint("(comment IS NULL) = (comment_status = 'none')", name=op.f('ck_feedback_response_comment_status_matches')),
    sa.CheckConstraint("comment_status IN ('none', 'pending', 'approved', 'redacted', 'rejected')", name=op.f('ck_feedback_response_comment_status')),
    sa.CheckConstraint("respondent_type IN ('child', 'carer', 'social_worker', 'iro')", name=op.f('ck_feedback_response_respondent_type')),
    sa.ForeignKeyConstraint(['moderated_by_id'], ['user_account.id'], name=op.f('fk_feedback_response_moderated_by_id_user_account')),
    sa.ForeignKeyConstraint(['placement_id'], ['placement.id'], name=op.f('fk_feedback_response_placement_id_placement')),
    sa.ForeignKeyConstraint(['provider_id'], ['organisation.id'], name=op.f('fk_feedback_response_provider_id_organisation')),
    sa.ForeignKeyConstraint(['request_id'], ['feedback_request.id'], name=op.f('fk_feedback_response_request_id_feedback_request')),
    sa.ForeignKeyConstraint(['setting_id'], ['setting.id'], name=op.f('fk_feedback_response_setting_id_setting')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_feedback_response')),
    sa.UniqueConstraint('request_id', name=op.f('uq_feedback_response_request_id'))
    )
    with op.batch_alter_table('feedback_response', schema=None) as batch_op:
        batch_op.create_index('ix_feedback_response_provider', ['provider_id', 'setting_kind'], unique=False)
    op.create_table('feedback_score',
    sa.Column('response_id', sa.Integer(), nullable=False),
    sa.Column('theme', sa.String(length=40), nullable=False),
    sa.Column('score', sa.Integer(), nullable=False),
    sa.CheckConstraint('score >= 1 AND score <= 5', name=op.f('ck_feedback_score_score')),
    sa.ForeignKeyConstraint(['response_id'], ['feedback_response.id'], name=op.f('fk_feedback_score_response_id_feedback_response'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('response_id', 'theme', name=op.f('pk_feedback_score'))
    )


def downgrade() -> None:
    op.drop_table('feedback_score')
    op.drop_table('feedback_response')
    op.drop_table('feedback_request')
