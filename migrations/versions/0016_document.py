"""Documents: insurance certificates and policies behind the storage interface

Revision ID: 0016_document
Revises: 0015_referral_preference
"""
from alembic import op
import sqlalchemy as sa
from portal.core.db import UTCDateTime

revision = "0016_document"
down_revision = "0015_referral_preference"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('document',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('organisation_id', sa.Integer(), nullable=False),
        sa.Column('setting_id', sa.Integer(), nullable=True),
        sa.Column('kind', sa.String(length=40), nullable=False),
        sa.Column('filename', sa.String(length=255), nullable=False),
        sa.Column('content_type', sa.String(length=100), nullable=False),
        sa.Column('size_bytes', sa.Integer(), nullable=False),
        sa.Column('storage_key', sa.String(length=255), nullable=False),
        sa.Column('cover_amount_pence', sa.BigInteger(), nullable=True),
        sa.Column('expires_on', sa.Date(), nullable=True),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
        sa.Column('uploaded_at', UTCDateTime(), nullable=False),
        sa.CheckConstraint("kind IN ('public_liability', 'employers_liability', 'professional_indemnity', 'safeguarding_policy', 'whistleblowing_policy', 'statement_of_purpose')", name=op.f('ck_document_kind')),
        sa.CheckConstraint("status IN ('current', 'superseded', 'deleted')", name=op.f('ck_document_status')),
        sa.CheckConstraint('cover_amount_pence IS NULL OR cover_amount_pence > 0', name=op.f('ck_document_cover')),
        sa.CheckConstraint('size_bytes > 0 AND size_bytes <= 10485760', name=op.f('ck_document_size')),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_document_organisation_id_organisation')),
        sa.ForeignKeyConstraint(['setting_id'], ['setting.id'], name=op.f('fk_document_setting_id_setting')),
        sa.ForeignKeyConstraint(['uploaded_by_id'], ['user_account.id'], name=op.f('fk_document_uploaded_by_id_user_account')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_document')),
        sa.UniqueConstraint('storage_key', name=op.f('uq_document_storage_key'))
        )
    op.create_index('ix_document_expires_on', 'document', ['expires_on'], unique=False)
    op.create_index('ix_document_organisation_kind', 'document', ['organisation_id', 'kind'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_document_organisation_kind', table_name='document')
    op.drop_index('ix_document_expires_on', table_name='document')
    op.drop_table('document')
