"""Settings (homes and services) and their specialisms

Revision ID: 0011_setting
Revises: 0010_need_taxonomy
"""
from alembic import op
import sqlalchemy as sa
from portal.core.db import UTCDateTime

revision = "0011_setting"
down_revision = '0010_need_taxonomy'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('setting',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('provider_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('urn', sa.String(length=12), nullable=True),
        sa.Column('kind', sa.String(length=40), nullable=False),
        sa.Column('registration_status', sa.String(length=20), nullable=False),
        sa.Column('overall_effectiveness', sa.String(length=40), nullable=True),
        sa.Column('inspection_date', sa.Date(), nullable=True),
        sa.Column('registered_places', sa.Integer(), nullable=False),
        sa.Column('min_age', sa.Integer(), nullable=False),
        sa.Column('max_age', sa.Integer(), nullable=False),
        sa.Column('accepts_male', sa.Boolean(), nullable=False),
        sa.Column('accepts_female', sa.Boolean(), nullable=False),
        sa.Column('postcode', sa.String(length=8), nullable=False),
        sa.Column('district', sa.String(length=4), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('suspended', sa.Boolean(), nullable=False),
        sa.Column('suspended_reason', sa.Text(), nullable=True),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.CheckConstraint("kind IN ('childrens_home', 'independent_fostering', 'supported_accommodation', 'parent_and_child', 'secure', 'in_house_fostering')", name=op.f('ck_setting_kind')),
        sa.CheckConstraint("overall_effectiveness IS NULL OR overall_effectiveness IN ('Outstanding', 'Good', 'Requires improvement to be good', 'Inadequate')", name=op.f('ck_setting_overall_effectiveness')),
        sa.CheckConstraint("registration_status IN ('active', 'suspended', 'cancelled', 'resigned')", name=op.f('ck_setting_registration_status')),
        sa.CheckConstraint("status IN ('open', 'closed')", name=op.f('ck_setting_status')),
        sa.CheckConstraint('accepts_male OR accepts_female', name=op.f('ck_setting_sexes')),
        sa.CheckConstraint('min_age >= 0 AND max_age <= 25 AND min_age <= max_age', name=op.f('ck_setting_ages')),
        sa.CheckConstraint('registered_places >= 0', name=op.f('ck_setting_registered_places')),
        sa.ForeignKeyConstraint(['provider_id'], ['organisation.id'], name=op.f('fk_setting_provider_id_organisation')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_setting')),
        sa.UniqueConstraint('urn', name=op.f('uq_setting_urn'))
        )
    op.create_index(op.f('ix_setting_district'), 'setting', ['district'], unique=False)
    op.create_index('ix_setting_matching', 'setting', ['kind', 'status', 'suspended'], unique=False)
    op.create_index('ix_setting_provider', 'setting', ['provider_id'], unique=False)
    op.create_table('setting_need',
        sa.Column('setting_id', sa.Integer(), nullable=False),
        sa.Column('need_code', sa.String(length=60), nullable=False),
        sa.ForeignKeyConstraint(['need_code'], ['need.code'], name=op.f('fk_setting_need_need_code_need')),
        sa.ForeignKeyConstraint(['setting_id'], ['setting.id'], name=op.f('fk_setting_need_setting_id_setting'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('setting_id', 'need_code', name=op.f('pk_setting_need'))
        )


def downgrade() -> None:
    op.drop_table('setting_need')
    op.drop_index(op.f('ix_setting_district'), table_name='setting')
    op.drop_index('ix_setting_matching', table_name='setting')
    op.drop_index('ix_setting_provider', table_name='setting')
    op.drop_table('setting')
