"""Vacancies and their history

Revision ID: 0012_vacancy
Revises: 0011_setting
"""
from alembic import op
import sqlalchemy as sa
from portal.core.db import UTCDateTime

revision = "0012_vacancy"
down_revision = '0011_setting'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('vacancy',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('setting_id', sa.Integer(), nullable=False),
        sa.Column('places_free', sa.Integer(), nullable=False),
        sa.Column('free_from', sa.Date(), nullable=True),
        sa.Column('note', sa.String(length=500), nullable=True),
        sa.Column('confirmed_at', UTCDateTime(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.CheckConstraint('places_free >= 0', name=op.f('ck_vacancy_places_free')),
        sa.ForeignKeyConstraint(['setting_id'], ['setting.id'], name=op.f('fk_vacancy_setting_id_setting'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_vacancy')),
        sa.UniqueConstraint('setting_id', name=op.f('uq_vacancy_setting_id'))
        )
    op.create_table('vacancy_history',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('setting_id', sa.Integer(), nullable=False),
        sa.Column('places_free', sa.Integer(), nullable=False),
        sa.Column('free_from', sa.Date(), nullable=True),
        sa.Column('note', sa.String(length=500), nullable=True),
        sa.Column('change', sa.String(length=20), nullable=False),
        sa.Column('recorded_by_id', sa.Integer(), nullable=True),
        sa.Column('recorded_at', UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['recorded_by_id'], ['user_account.id'], name=op.f('fk_vacancy_history_recorded_by_id_user_account')),
        sa.ForeignKeyConstraint(['setting_id'], ['setting.id'], name=op.f('fk_vacancy_history_setting_id_setting'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_vacancy_history'))
        )
    op.create_index('ix_vacancy_history_setting_recorded', 'vacancy_history', ['setting_id', 'recorded_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_vacancy_history_setting_recorded', table_name='vacancy_history')
    op.drop_table('vacancy_history')
    op.drop_table('vacancy')
