"""附件1 备案表 of a project as a printable xlsx with the official sections and merged cells."""

from __future__ import annotations

import xlsxwriter

from backend import audit, pii
from backend.models import AdminUser, Project, TrainingType
from backend.services.exports.cells import formula_like, lines_for, xlsx_text
from backend.services.exports.roster import shows_full_numbers
from backend.services.exports.writers import print_setup
from backend.services.exports.xlsx_stream import row_height
from backend.services.learning import record_chain
from backend.services.projects.filing_document import shown_filing

TITLE = "企业职工线上适岗技能提升培训备案表"
TRAINING_TYPES = (
    (TrainingType.PRE_JOB, "岗前培训"),
    (TrainingType.ON_JOB, "在岗培训"),
    (TrainingType.JOB_TRANSFER, "转岗培训"),
)
NOTES = (
    "注：1.此表由开展企业职工线上适岗技能提升培训的企业填写。",
    "2.此表一式两份，人力资源社会保障专职管理部门、申报企业各存一份。",
    "3.与此表同时报送本项目培训人员花名册。",
)
CHECKED, UNCHECKED = "☑", "□"
# Column widths: the longest label (人力资源社会保障部门审核备案意见) fits its column on one line.
WIDTHS = (28, 28, 18, 28)


def _box(checked: bool) -> str:
    return CHECKED if checked else UNCHECKED


def _date(d) -> str:
    return f"{d.year}年{d.month:02d}月{d.day:02d}日"


class _Form:
    """Writes the form top to bottom on a 4-column grid (label, value, label, value)."""

    def __init__(self, workbook: xlsxwriter.Workbook, sheet) -> None:
        self.sheet = sheet
        self.widths = WIDTHS
        self.row = 0
        # Each format also in a quote-prefix twin, for text a spreadsheet would take as a formula.
        self._quoted: dict[int, object] = {}

        def add(props: dict):
            fmt = workbook.add_format(props)
            self._quoted[id(fmt)] = workbook.add_format({**props, "quote_prefix": True})
            return fmt

        base = {"border": 1, "valign": "vcenter", "text_wrap": True, "font_size": 10}
        self.label = add({**base, "align": "center"})
        self.value = add({**base, "num_format": "@"})
        self.section = add({**base, "bold": True, "bg_color": "#F2F2F2"})
        self.title = add({"bold": True, "font_size": 16, "align": "center"})
        self.plain = add({"font_size": 10})
        self.wrapped = add({"font_size": 10, "text_wrap": True, "valign": "top"})
        self.sign = add({**base, "align": "right", "valign": "bottom"})

    def _cell(self, value: object, fmt):
        text = xlsx_text(value)
        return text, self._quoted[id(fmt)] if formula_like(text) else fmt

    def text(self, col: int, value: object, fmt) -> None:
        self.sheet.write_string(self.row, col, *self._cell(value, fmt))

    def merged(self, first: int, last: int, value: object, fmt) -> None:
        self.sheet.merge_range(self.row, first, self.row, last, *self._cell(value, fmt))

    def caption(self, text: str) -> None:
        self.text(0, text, self.plain)
        self.row += 1

    def heading(self, text: str) -> None:
        self.merged(0, 3, text, self.title)
        self.sheet.set_row(self.row, 32)
        self.row += 1

    def section_row(self, text: str) -> None:
        self.merged(0, 3, text, self.section)
        self.row += 1

    def _height(self, height: float, *cells: tuple[object, float]) -> None:
        # As tall as the longest text needs when printed (the row never cuts a wrapped value).
        lines = max(lines_for(xlsx_text(value), width) for value, width in cells)
        self.sheet.set_row(self.row, max(height, row_height(lines) or 0))

    def pair(self, label1: str, value1: object, label2: str, value2: object) -> None:
        self.text(0, label1, self.label)
        self.text(1, value1, self.value)
        self.text(2, label2, self.label)
        self.text(3, value2, self.value)
        self._height(24, *zip((label1, value1, label2, value2), self.widths, strict=True))
        self.row += 1

    def wide(self, label: str, value: object, height: int = 24) -> None:
        self.text(0, label, self.label)
        self.merged(1, 3, value, self.value)
        self._height(height, (label, self.widths[0]), (value, sum(self.widths[1:])))
        self.row += 1

    def cells(self, values: list[object], fmt) -> None:
        for col, value in enumerate(values):
            self.text(col, value, fmt)
        self._height(24, *zip(values, self.widths, strict=True))
        self.row += 1

    def signature(self, label: str) -> None:
        self.text(0, label, self.label)
        self.merged(1, 3, "（盖章）\n\n年    月    日", self.sign)
        self.sheet.set_row(self.row, 80)
        self.row += 1


def _mobile(admin: AdminUser, project: Project, details, client_address: str) -> str:
    """The person in charge's mobile: the bureau needs it in full on the filing the enterprise
    hands in, so its own admin gets it (audit-logged, as the roster's numbers); others masked."""
    if not shows_full_numbers(admin, project):
        return details.person_mobile
    return pii.reveal_project_mobile(
        project,
        audit.admin(admin, client_address),
        purpose=f"附件1备案表导出（项目 {project.id}）",
        sealed=details.person_mobile_sealed,
    )


def write_filing_xlsx(path: str, admin: AdminUser, project: Project, client_address: str) -> None:
    """Write 附件1 for ``project`` (as submitted, once filed): the notice's sections and labels."""
    workbook = xlsxwriter.Workbook(path, {"strings_to_formulas": False, "strings_to_urls": False})
    sheet = workbook.add_worksheet("备案表")
    for col, width in enumerate(WIDTHS):
        sheet.set_column(col, col, width)
    print_setup(sheet)
    form = _Form(workbook, sheet)
    shown = shown_filing(project)
    enterprise, institution, platform = shown.enterprise, shown.institution, shown.platform
    details = shown.project

    form.caption("附件1")
    form.heading(TITLE)
    form.section_row("企业基本情况")
    form.pair("企业名称", enterprise.name, "统一社会信用代码", enterprise.credit_code)
    form.wide("注册地址", enterprise.registered_address)
    form.pair("法人代表", enterprise.legal_representative, "联系电话", enterprise.contact_phone)
    received = enterprise.received_affected_subsidy
    form.wide("是否已领取受影响企业培训补助", f"{_box(received)}是  {_box(not received)}否")

    form.section_row("培训机构基本情况（企业自行组织开展培训无须填写此项）")
    form.pair(
        "培训机构名称",
        institution.name if institution else "",
        "统一社会信用代码",
        institution.credit_code if institution else "",
    )
    form.wide("机构注册地址", institution.registered_address if institution else "")
    form.pair(
        "机构负责人",
        institution.person_in_charge if institution else "",
        "联系电话",
        institution.phone if institution else "",
    )

    form.section_row("线上培训平台基本情况")
    form.wide("平台名称（网站名称或APP产品名称）", platform.name if platform else "")
    form.wide("ICP备案号", platform.icp_number if platform else "")
    form.wide("网站地址（APP的包名）", platform.url_or_package if platform else "")
    where = f"{platform.ip_address}  {platform.server_city}".strip() if platform else ""
    form.wide("IP地址及服务器放置城市名称", where)

    form.section_row("培训项目基本情况")
    form.pair("培训项目名称", details.name, "培训岗位（工种）", details.post_trade)
    types = "  ".join(f"{_box(details.training_type == t)}{label}" for t, label in TRAINING_TYPES)
    form.wide("培训类型", types)
    form.pair("培训计划人数", details.planned_headcount, "培训方式", details.method)
    period = f"{_date(details.start_date)}至{_date(details.end_date)}"
    form.pair("培训起止时间", period, "培训课时", details.planned_class_hours)
    mobile = _mobile(admin, project, details, client_address)
    form.pair("培训负责人", details.person_in_charge, "联系手机", mobile)
    form.wide("培训目标", details.goal, height=48)

    form.section_row("线上培训计划(此栏目内容可根据实际情况增加)")
    form.cells(["课程资源名称", "内容要点", "资源形式", "培训时长"], form.label)
    for plan in shown.plan_rows:
        form.cells(
            [
                plan.resource_name,
                plan.key_content,
                plan.form_label,
                plan.duration_label,
            ],
            form.value,
        )
    form.signature("申报企业意见")
    form.signature("人力资源社会保障部门审核备案意见")
    for note in NOTES:
        form.merged(0, 3, note, form.plain)
        form.row += 1
    digest = record_chain.digest_line(project.id)
    form.merged(0, 3, digest, form.wrapped)
    form.sheet.set_row(form.row, row_height(lines_for(digest, sum(WIDTHS))))
    workbook.close()
