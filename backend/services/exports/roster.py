"""附件2 学员名册 of a project: the official layout, full numbers only for the enterprise itself."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import chain

from sqlalchemy import select

from backend import audit, pii
from backend.kernel.permissions import Permission, can
from backend.models import AdminUser, Enrolment, Gender, Project, Trainee
from backend.services.exports.cells import Column, Kind
from backend.services.exports.writers import Table
from backend.services.learning import record_chain
from backend.services.rows import plain_rows

TITLE = "企业职工线上适岗技能提升培训人员名册"
COLUMNS = (
    Column("序号", Kind.INT, 6),
    Column("姓名", Kind.TEXT, 12),
    Column("性别", Kind.TEXT, 6),
    Column("身份证号码", Kind.DIGITS, 22),
    Column("手机号码", Kind.DIGITS, 15),
    Column("平台登录账号", Kind.TEXT, 20),
)
GENDER_LABELS = {Gender.MALE: "男", Gender.FEMALE: "女"}
BATCH = 1000
ROSTER_ORDER = (Trainee.roster_seq, Trainee.id)
SIGNED_ON = "填报日期：        年    月    日"


def enrolled_trainees(project_id: int):
    """The project's enrolled trainees in roster order, streamed.

    Plain columns rather than ORM objects (no identity map for 10,000 rows); each row has the
    attributes ``backend.pii`` reads (id, enterprise_id, id_number_enc, mobile_enc)."""
    query = (
        select(
            Trainee.id,
            Trainee.enterprise_id,
            Trainee.name,
            Trainee.gender,
            Trainee.account,
            Trainee.id_number_enc,
            Trainee.mobile_enc,
        )
        .join(Enrolment, Enrolment.trainee_id == Trainee.id)
        .where(Enrolment.project_id == project_id)
        .order_by(*ROSTER_ORDER)
        .execution_options(yield_per=BATCH)
    )
    # Batch by batch: iterating a list is cheaper than fetching rows one at a time.
    return chain.from_iterable(plain_rows(query).partitions())


def shows_full_numbers(admin: AdminUser, project: Project) -> bool:
    """Full ID numbers and mobiles go only into the enterprise's own filing export."""
    return can(admin, Permission.REVEAL_PII) and admin.enterprise_id == project.enterprise_id


def roster_rows(admin: AdminUser, project: Project, client_address: str) -> Iterator[list]:
    """One row a trainee; each full value revealed is audit-logged through backend.pii."""
    full = shows_full_numbers(admin, project)
    purpose = f"附件2学员名册导出（项目 {project.id}）"
    for seq, trainee in enumerate(enrolled_trainees(project.id), start=1):
        if full:
            reader = audit.admin(admin, client_address)
            id_number = pii.reveal_id_number(trainee, reader, purpose=purpose)
            mobile = pii.reveal_mobile(trainee, reader, purpose=purpose)
        else:
            id_number, mobile = pii.masked_id_number(trainee), pii.masked_mobile(trainee)
        yield [seq, trainee.name, GENDER_LABELS[trainee.gender], id_number, mobile, trainee.account]


def table(admin: AdminUser, project: Project, client_address: str) -> Table:
    """The roster laid out like 附件2."""
    return Table(
        sheet_name="学员名册",
        caption="附件2",
        title=TITLE,
        head_lines=[f"企业名称（盖章）：{project.enterprise.name}", SIGNED_ON],
        columns=COLUMNS,
        rows=roster_rows(admin, project, client_address),
        closing_lines=["(此名册可顺延)", record_chain.digest_line(project.id)],
    )
