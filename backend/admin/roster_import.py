"""The roster import's confirm step, shared by the import page and the admin API."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError

from backend.caller import client_address
from backend.extensions import db
from backend.kernel.errors import DomainError
from backend.services.roster.importer import confirm_import


def commit_import(admin, import_id: str, accept_rows=()):
    """Confirm an import and commit it, turning a lost uniqueness race into a 409."""
    result = confirm_import(admin, import_id, accept_rows, client_address=client_address())
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise DomainError(
            "roster_conflict", "导入时平台数据已变化（账号或身份证号码重复），请重新上传名册"
        ) from None
    return result
