"""The certificate PDF: an HTML template laid out by WeasyPrint on A4 with Noto Serif CJK, a QR
code (segno) of the verification URL, signed with the platform's key (signing.py)."""

from __future__ import annotations

import string
from pathlib import Path

import segno
from flask import current_app

from backend.services.certificates import fonts, signing

TEMPLATE = "certificates/certificate.html"
STYLESHEET = Path(__file__).with_name("certificate.css")

# Every field a certificate states, with its label, in print order.
FIELD_LABELS = {
    "name": "姓名",
    "id_number": "身份证号码",
    "enterprise": "企业名称",
    "institution": "培训机构",
    "project": "培训项目",
    "post": "工种（岗位）",
    "training_type": "培训类型",
    "start_date": "培训开始日期",
    "end_date": "培训结束日期",
    "class_hours": "培训课时",
    "assessment": "考核结果",
    "platform": "线上培训平台",
    "issue_date": "发证日期",
    "digest": "申领数据摘要",
}


class Renderer:
    """Renders certificates of one batch: the fonts are cut to the batch's text once."""

    def __init__(self, texts: list[str]):
        from weasyprint import CSS
        from weasyprint.text.fonts import FontConfiguration

        env = current_app.jinja_env
        self.template = env.get_template(TEMPLATE)
        # The template's own source holds every character it prints besides the fields.
        source = env.loader.get_source(env, TEMPLATE)[0]
        printed = source + "".join(FIELD_LABELS.values()) + string.printable + "".join(texts)
        self.fonts = fonts.subset_fonts(printed)
        self.font_config = FontConfiguration()
        faces = "".join(
            f'@font-face {{ font-family: CertSerif; src: url("{path.as_uri()}"); '
            f"font-weight: {'bold' if weight == 'bold' else 'normal'}; }}\n"
            for weight, path in self.fonts.items()
        )
        self.stylesheet = CSS(
            string=faces + STYLESHEET.read_text(encoding="utf-8"), font_config=self.font_config
        )

    def unsigned(self, serial: str, fields: dict, verify_url: str) -> bytes:
        """The certificate laid out as a PDF, not signed yet."""
        from weasyprint import HTML

        # A fixed mask: choosing the best of eight costs more than it gains on paper.
        qr = segno.make(verify_url, error="m", mask=0)
        html = self.template.render(
            serial=serial,
            f=fields,
            labels=FIELD_LABELS,
            # A PNG (1 bit, 8 px a module): laid out in a third of the time of the SVG.
            qr=qr.png_data_uri(scale=8, border=4),
            verify_url=verify_url,
        )
        return HTML(string=html).write_pdf(
            stylesheets=[self.stylesheet], font_config=self.font_config
        )

    def signed(self, serial: str, fields: dict, verify_url: str) -> bytes:
        """The certificate as a PDF signed over the whole file."""
        return signing.sign(self.unsigned(serial, fields, verify_url))


def texts_of(fields: dict) -> str:
    """The characters a certificate's fields print (for the font subset)."""
    return "".join(str(v) for v in fields.values() if v is not None)
