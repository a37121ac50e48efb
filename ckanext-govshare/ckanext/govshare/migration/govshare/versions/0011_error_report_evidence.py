"""Error report evidence files (纠错佐证材料): the file's name, type and size on the report;
its content in the FileStore (``<ckan.storage_path>/govshare/evidence/<report id>``). And the
note a provider gives with a declared data update (更新声明的说明).

Revision ID: 0011_error_report_evidence
Revises: 0010_catalog_state
Create Date: 2026-12-01
"""
import sqlalchemy as sa
from alembic import op

revision = "0011_error_report_evidence"
down_revision = "0010_catalog_state"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("govshare_error_report", sa.Column("evidence_filename", sa.UnicodeText))
    op.add_column("govshare_error_report", sa.Column("evidence_mimetype", sa.UnicodeText))
    op.add_column("govshare_error_report", sa.Column("evidence_size", sa.BigInteger))
    op.create_check_constraint(
        "govshare_error_report_evidence_file", "govshare_error_report",
        "(evidence_filename IS NULL) = (evidence_size IS NULL)")
    op.add_column("govshare_data_update", sa.Column("note", sa.UnicodeText))


def downgrade():
    op.drop_column("govshare_data_update", "note")
    op.drop_constraint("govshare_error_report_evidence_file", "govshare_error_report")
    for column in ("evidence_size", "evidence_mimetype", "evidence_filename"):
        op.drop_column("govshare_error_report", column)
