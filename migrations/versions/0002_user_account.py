"""User accounts and their roles

Revision ID: 0002_user_account
Revises: 0001_organisation
"""
from alembic import op
import sqlalchemy as sa
from portal.core.db import UTCDateTime

revision = "0002_user_account"
down_revision = '0001_organisation'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('user_account',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('organisation_id', sa.Integer(), nullable=False),
        sa.Column('email', sa.String(length=254), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('password_hash', sa.String(length=200), nullable=True),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.Column('last_login_at', UTCDateTime(), nullable=True),
        sa.Column('password_changed_at', UTCDateTime(), nullable=True),
        sa.CheckConstraint("status IN ('invited', 'active', 'removed')", name=op.f('ck_user_account_status')),
        sa.CheckConstraint('email = lower(email)', name=op.f('ck_user_account_email_lower')),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_user_account_organisation_id_organisation')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_user_account')),
        sa.UniqueConstraint('email', name=op.f('uq_user_account_email'))
        )
    op.create_index(op.f('ix_user_account_organisation_id'), 'user_account', ['organisation_id'], unique=False)
    op.create_table('user_role',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('role', sa.String(length=40), nullable=False),
        sa.CheckConstraint("role IN ('provider_admin', 'provider_staff', 'placements_officer', 'panel_member', 'qa_officer', 'dps_manager', 'system_admin')", name=op.f('ck_user_role_role')),
        sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_user_role_user_id_user_account'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_user_role')),
        sa.UniqueConstraint('user_id', 'role', name=op.f('uq_user_role_user_id_role'))
        )


def downgrade() -> None:
    op.drop_table('user_role')
    op.drop_index(op.f('ix_user_account_organisation_id'), table_name='user_account')
    op.drop_table('user_account')
