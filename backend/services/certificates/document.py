"""The certificate PDF: an A4 page drawn with reportlab in Noto Serif CJK (cut to the batch's
characters, fonts.py), laid out like an official 培训证明, with a QR code (segno) of the
verification URL drawn as vector squares, signed with the platform's key (signing.py).

Drawn rather than laid out from HTML, by measurement (README, "Training certificates"): the page
is fixed, so placing its text directly costs a few milliseconds where WeasyPrint's layout of the
same page cost over forty, a whole batch laid out as one document included."""

from __future__ import annotations

import io
import re
import string

import segno

from backend.services.certificates import fonts, signing

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

TITLE = "培训证明"
SERIAL = "编号：{serial}"
LEAD = (
    "兹证明 {name} 同志（身份证号码：{id_number}）于 {start_date} 至 {end_date} 参加 "
    "{enterprise} 组织的线上适岗职业技能培训“{project}”，完成培训课时 {class_hours} 课时"
)
LEAD_ASSESSMENT = "，考核结果：{assessment}"
LEAD_END = "。特发此证。"
SCAN = "扫码核验"
NOTE = "本证明经平台数字签名，任何改动都会使签名失效。真伪请扫描二维码或访问 {url} 核验。"
EMPTY = "—"
# Every character the page prints besides the fields (for the font subset).
STATIC_TEXT = (
    TITLE + SERIAL + LEAD + LEAD_ASSESSMENT + LEAD_END + SCAN + NOTE + EMPTY
    + "".join(FIELD_LABELS.values()) + string.printable
)  # fmt: skip

MM = 72 / 25.4
PAGE_W, PAGE_H = 210 * MM, 297 * MM
# The frame (a double rule) and the text area inside it.
FRAME_X, FRAME_Y, FRAME_W, FRAME_H = 18 * MM, 31 * MM, 174 * MM, 250 * MM
LEFT, RIGHT, TOP = 30 * MM, 180 * MM, 271 * MM
WIDTH = RIGHT - LEFT
LABEL_W, CELL_PAD_X, CELL_PAD_Y = 32 * MM, 3 * MM, 1.4 * MM
QR_SIZE, STAMP_D = 30 * MM, 34 * MM

INK, GOLD, GREY, RULE, LABEL_BG, RED, BLACK = (
    tuple(int(c[i : i + 2], 16) / 255 for i in (1, 3, 5))
    for c in ("#222222", "#8a6d3b", "#555555", "#999999", "#f6f1e7", "#c0392b", "#000000")
)
# A line never starts with closing punctuation (it stays on the line before).
NO_LINE_START = set("，。、；：！？）」』”’》")
# An ASCII word or a number stays whole when it fits; any other character may break.
TOKENS = re.compile(r"[!-~]+|.", re.S)


def texts_of(fields: dict) -> str:
    """The characters a certificate's fields print (for the font subset)."""
    return "".join(str(v) for v in fields.values() if v is not None)


def wrap(text: str, font: str, size: float, width: float, indent: float = 0.0) -> list[str]:
    """``text`` broken into lines no wider than ``width`` (CJK: between any two characters), the
    first one ``indent`` narrower."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    lines, line, used = [], "", indent
    for token in TOKENS.findall(text):
        w = stringWidth(token, font, size)
        if used + w > width and line and token[0] not in NO_LINE_START:
            if w > width:  # longer than a line: broken anywhere
                for char in token:
                    cw = stringWidth(char, font, size)
                    if used + cw > width and line:
                        lines.append(line.rstrip())
                        line, used = "", 0.0
                    line, used = line + char, used + cw
                continue
            lines.append(line.rstrip())
            line, used = "", 0.0
            if token.isspace():
                continue
        line, used = line + token, used + w
    if line.strip():
        lines.append(line.rstrip())
    return lines


class Renderer:
    """Draws certificates of one batch: the fonts are cut to the batch's text once."""

    def __init__(self, texts: list[str]):
        from reportlab import rl_config

        # Binary streams: ASCII85 makes each PDF a quarter larger and costs time (reportlab's
        # default is for 7-bit channels, which a signed download is not).
        rl_config.useA85 = 0
        names = fonts.subset_fonts(STATIC_TEXT + "".join(texts))
        self.regular, self.bold = names["regular"], names["bold"]

    def unsigned(self, serial: str, fields: dict, verify_url: str) -> bytes:
        """The certificate as a one-page PDF, not signed yet."""
        from reportlab.pdfgen.canvas import Canvas

        out = io.BytesIO()
        canvas = Canvas(out, pagesize=(PAGE_W, PAGE_H), pageCompression=1)
        canvas.setTitle(f"{TITLE} {serial}")
        canvas.setAuthor(str(fields.get("platform") or ""))
        self._frame(canvas)
        canvas.setFillColorRGB(*INK)
        canvas.setFont(self.regular, 10)
        canvas.drawRightString(RIGHT, TOP - 10, SERIAL.format(serial=serial))
        canvas.setFont(self.bold, 30)
        canvas.drawCentredString(PAGE_W / 2 + 7, TOP - 52, TITLE, charSpace=14)
        y = self._lead(canvas, fields, TOP - 80)
        y = self._table(canvas, fields, y - 5 * MM)
        self._bottom(canvas, fields, verify_url, y - 5 * MM)
        canvas.showPage()
        canvas.save()
        return out.getvalue()

    def signed(self, serial: str, fields: dict, verify_url: str) -> bytes:
        """The certificate as a PDF signed over the whole file."""
        return signing.sign(self.unsigned(serial, fields, verify_url))

    @staticmethod
    def _frame(canvas) -> None:
        canvas.setStrokeColorRGB(*GOLD)
        canvas.setLineWidth(1)
        canvas.rect(FRAME_X, FRAME_Y, FRAME_W, FRAME_H)
        canvas.rect(FRAME_X + 2, FRAME_Y + 2, FRAME_W - 4, FRAME_H - 4)

    def _lead(self, canvas, fields: dict, top: float) -> float:
        """The sentence that certifies, indented two characters; returns the y below it."""
        size, leading = 12.5, 12.5 * 1.9
        values = {k: EMPTY if v is None else v for k, v in fields.items()}
        text = LEAD.format(**values)
        if fields.get("assessment"):
            text += LEAD_ASSESSMENT.format(**values)
        indent = 2 * size  # two characters
        x, y = LEFT + indent, top
        canvas.setFont(self.regular, size)
        for line in wrap(text + LEAD_END, self.regular, size, WIDTH, indent):
            canvas.drawString(x, y, line)
            x, y = LEFT, y - leading
        return y + leading - size * 0.6

    def _table(self, canvas, fields: dict, top: float) -> float:
        """Label and value of every field, ruled; returns the y below the table."""
        y = top
        value_w = WIDTH - LABEL_W - 2 * CELL_PAD_X
        canvas.setLineWidth(0.6)
        canvas.setStrokeColorRGB(*RULE)
        for key, label in FIELD_LABELS.items():
            value = fields.get(key)
            size = 8 if key == "digest" else 10.5
            leading = size * 1.35
            lines = wrap(EMPTY if value in (None, "") else str(value), self.regular, size, value_w)
            height = max(len(lines), 1) * leading + 2 * CELL_PAD_Y
            canvas.setFillColorRGB(*LABEL_BG)
            canvas.rect(LEFT, y - height, LABEL_W, height, stroke=1, fill=1)
            canvas.rect(LEFT + LABEL_W, y - height, WIDTH - LABEL_W, height, stroke=1, fill=0)
            canvas.setFillColorRGB(*INK)
            canvas.setFont(self.regular, 10.5)
            canvas.drawString(LEFT + CELL_PAD_X, y - CELL_PAD_Y - 10.5, label)
            canvas.setFont(self.regular, size)
            line_y = y - CELL_PAD_Y - size
            for line in lines:
                canvas.drawString(LEFT + LABEL_W + CELL_PAD_X, line_y, line)
                line_y -= leading
            y -= height
        return y

    def _bottom(self, canvas, fields: dict, verify_url: str, top: float) -> None:
        """The QR code (left), the enterprise's seal and the issue date (right), the note."""
        _qr(canvas, verify_url, LEFT + 2 * MM, top - QR_SIZE, QR_SIZE)
        canvas.setFillColorRGB(*INK)
        canvas.setFont(self.regular, 8.5)
        canvas.drawCentredString(LEFT + 2 * MM + QR_SIZE / 2, top - QR_SIZE - 11, SCAN)

        centre_x, centre_y = RIGHT - 35 * MM, top - STAMP_D / 2
        canvas.setStrokeColorRGB(*RED)
        canvas.setLineWidth(1.6)
        canvas.circle(centre_x, centre_y, STAMP_D / 2, stroke=1, fill=0)
        canvas.setFillColorRGB(*RED)
        canvas.setFont(self.bold, 10)
        lines = wrap(str(fields.get("enterprise") or ""), self.bold, 10, STAMP_D - 8 * MM)
        y = centre_y + (len(lines) - 1) * 13 / 2 - 3.5
        for line in lines:
            canvas.drawCentredString(centre_x, y, line)
            y -= 13
        canvas.setFillColorRGB(*INK)
        canvas.setFont(self.regular, 11.5)
        issued = str(fields.get("issue_date") or "")
        canvas.drawCentredString(centre_x, top - STAMP_D - 6 * MM, issued)

        canvas.setFillColorRGB(*GREY)
        canvas.setFont(self.regular, 8)
        y = top - STAMP_D - 13 * MM
        for line in wrap(NOTE.format(url=verify_url), self.regular, 8, WIDTH):
            canvas.drawString(LEFT, y, line)
            y -= 11


def _qr(canvas, url: str, x: float, y: float, size: float) -> None:
    """The QR code of ``url`` as filled squares in a ``size`` square (quiet zone included), a
    row's run of dark modules one rectangle."""
    # A fixed mask: choosing the best of eight costs more than it gains on paper.
    matrix = segno.make(url, error="m", mask=0).matrix
    count = len(matrix)
    module = size / (count + 8)
    path = canvas.beginPath()
    for row, cells in enumerate(matrix):
        top = y + size - (row + 4) * module
        col = 0
        while col < count:
            if cells[col]:
                start = col
                while col < count and cells[col]:
                    col += 1
                path.rect(x + (start + 4) * module, top - module, (col - start) * module, module)
            else:
                col += 1
    canvas.setFillColorRGB(*BLACK)
    canvas.drawPath(path, stroke=0, fill=1)
