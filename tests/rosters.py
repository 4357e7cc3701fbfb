"""Building roster upload files (附件2 layout) for tests."""

from __future__ import annotations

import csv
import io

from openpyxl import Workbook

from tests.factories import id_number, mobile

HEADER = ["序号", "姓名", "性别", "身份证号码", "手机号码", "平台登录账号"]


def person(n: int, gender: str = "male", **overrides) -> list:
    """A valid roster line for person ``n`` (override seq, name, sex, id, mobile, account)."""
    row = {
        "seq": n,
        "name": f"导入学员{n}",
        "sex": "男" if gender == "male" else "女",
        "id": id_number(9000 + n, gender),
        "mobile": mobile(90000 + n),
        "account": f"import{n}",
    }
    row.update(overrides)
    return [row["seq"], row["name"], row["sex"], row["id"], row["mobile"], row["account"]]


def csv_bytes(rows: list[list], header: list[str] = HEADER, encoding: str = "utf-8-sig") -> bytes:
    """A CSV file with ``header`` and ``rows``."""
    out = io.StringIO()
    writer = csv.writer(out)
    if header:
        writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def xlsx_bytes(rows: list[list], header: list[str] = HEADER, preamble: bool = True) -> bytes:
    """An xlsx file laid out like 附件2: title lines, the header row, then the rows."""
    book = Workbook()
    sheet = book.active
    if preamble:
        sheet.append(["企业职工线上适岗技能提升培训人员名册"])
        sheet.append(["企业名称（盖章）：测试企业"])
        sheet.append(["填报日期：  年  月  日"])
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    sheet.append(["(此名册可顺延)"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
