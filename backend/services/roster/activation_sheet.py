"""Activation codes in bulk: one code per selected unbound trainee, as a printable xlsx."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import timedelta

import xlsxwriter
from sqlalchemy import select

from backend.extensions import db
from backend.kernel.errors import NotFoundError
from backend.models import AdminUser, Project, Trainee
from backend.services.accounts import binding
from backend.services.exports.cells import neutralise

CST = timedelta(hours=8)


@dataclass(frozen=True)
class Issued:
    """The codes issued now (shown once) and the trainees skipped because already bound."""

    rows: list[dict]
    skipped_bound: int


def issue_for(
    actor: AdminUser, project: Project, trainee_ids: list[int], *, client_address: str
) -> Issued:
    """A new code for each selected trainee of the project's enterprise not yet bound."""
    wanted = list(dict.fromkeys(trainee_ids))
    trainees = db.session.scalars(
        select(Trainee)
        .where(Trainee.id.in_(wanted), Trainee.enterprise_id == project.enterprise_id)
        .order_by(Trainee.roster_seq, Trainee.id)
    ).all()
    if len(trainees) != len(wanted):
        raise NotFoundError("学员不存在")
    rows, skipped = [], 0
    for trainee in trainees:
        if trainee.wx_openid is not None or not trainee.active:
            skipped += 1
            continue
        code, expires_at = binding.issue_activation_code(
            trainee, actor, client_address=client_address
        )
        rows.append(
            {
                "name": trainee.name,
                "account": trainee.account,
                "code": code,
                "expires": (expires_at + CST).strftime("%Y-%m-%d %H:%M"),
            }
        )
    return Issued(rows=rows, skipped_bound=skipped)


def sheet(project_name: str, rows: list[dict]) -> bytes:
    """An A4 sheet of names, accounts and codes, to print and hand out."""
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    page = book.add_worksheet("激活码")
    title = book.add_format({"bold": True, "font_size": 14})
    head = book.add_format({"bold": True, "border": 1, "bg_color": "#E4E7EB"})
    cell = book.add_format({"border": 1, "text_wrap": True})
    code = book.add_format({"border": 1, "font_name": "Consolas", "font_size": 13})
    page.set_paper(9)  # A4
    page.fit_to_pages(1, 0)
    page.repeat_rows(2)
    page.write_string(0, 0, neutralise(f"{project_name} · 微信绑定激活码"), title)
    page.write_string(
        1, 0, "每个激活码只能使用一次，请在有效期前于小程序中绑定；请妥善保管，勿外传。"
    )
    headers = ("序号", "姓名", "平台登录账号", "激活码", "有效期至")
    for col, text in enumerate(headers):
        page.write_string(2, col, text, head)
    for n, row in enumerate(rows, start=1):
        r = 2 + n
        page.write_number(r, 0, n, cell)
        page.write_string(r, 1, neutralise(row["name"]), cell)
        page.write_string(r, 2, neutralise(row["account"]), cell)
        page.write_string(r, 3, row["code"], code)
        page.write_string(r, 4, row["expires"], cell)
    for col, width in enumerate((6, 14, 20, 20, 18)):
        page.set_column(col, col, width)
    book.close()
    return out.getvalue()
