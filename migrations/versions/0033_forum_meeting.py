"""Provider forum meetings with agenda and minutes

Revision ID: 0033_forum_meeting
Revises: 0032_feedback
"""
from alembic import op
import sqlalchemy as sa
from portal.core.db import UTCDateTime  # noqa: F401

revision = "0033_forum_meeting"
down_revision = "0032_feedback"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('forum_meeting',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dps_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('meets_at', UTCDateTime(), nullable=False),
    sa.Column('location', sa.String(length=200), nullable=True),
    sa.Column('agenda', sa.Text(), nullable=True),
    sa.Column('agenda_key', sa.String(length=300), nullable=True),
    sa.Column('agenda_filename', sa.String(length=200), nullable=True),
    sa.Column('minutes_key', sa.String(length=300), nullable=True),
    sa.Column('minutes_filename', sa.String(length=200), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_forum_meeting_created_by_id_user_account')),
    sa.ForeignKeyConstraint(['dps_id'], ['dps.id'], name=op.f('fk_forum_meeting_dps_id_dps')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_forum_meeting'))
    )


def downgrade() -> None:
    op.drop_table('forum_meeting')
