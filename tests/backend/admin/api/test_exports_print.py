"""Every export printed as LibreOffice prints it: no cell's text cut, every page one page wide.

The demo project (closed, so that its claim exists) is exported in every kind; LibreOffice Calc
converts each xlsx to PDF, and the PDF's text must hold every cell's value whole.
"""

from __future__ import annotations

import ctypes
import shutil
import subprocess
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import select

from backend.demo import seed_demo
from backend.models import (
    AdminUser,
    AttentionCheck,
    CheckKind,
    CheckOutcome,
    FaceCheck,
    FaceCheckOutcome,
    FaceCheckTrigger,
    LearningSession,
    Project,
    Quiz,
    QuizAttempt,
    Role,
)
from backend.services.claims.closing import close_project

KINDS = ("filing", "roster", "hours", "records", "integrity", "claim")
ARTIFACTS = Path(__file__).resolve().parents[4] / "test-artifacts" / "exports"


def _soffice() -> str:
    path = shutil.which("soffice")
    if path is None:
        pytest.fail("LibreOffice not found: run `make browser-deps` (libreoffice-calc)")
    return path


def _checks_and_attempts(make, project: Project) -> None:
    """Rows with the longest 状态 and 说明 texts: a failed face check, a check, a quiz."""
    session = make.session.scalars(
        select(LearningSession).where(LearningSession.project_id == project.id)
    ).first()
    at = session.started_at + timedelta(minutes=5)
    make.session.add(
        FaceCheck(
            trainee_id=session.trainee_id,
            project_id=project.id,
            session_id=session.id,
            trigger=FaceCheckTrigger.RETRY,
            out_seq_no="demo-print-1",
            verify_id="v1",
            issued_at=at,
            expires_at=at + timedelta(minutes=5),
            resolved_at=at + timedelta(minutes=1),
            outcome=FaceCheckOutcome.REFUSED,
            verify_ret=90002,
            reason="核身未完成：用户在微信中取消了核身，须重新核身后才能继续计入学时",
            device="iPhone 15 Pro Max",
        )
    )
    make.session.add(
        AttentionCheck(
            session_id=session.id,
            trainee_id=session.trainee_id,
            kind=CheckKind.CODE,
            expected="4821",
            issued_at=at,
            expires_at=at + timedelta(minutes=2),
            answered_at=at + timedelta(minutes=1),
            answer="4812",
            outcome=CheckOutcome.FAILED,
        )
    )
    quiz = make.session.scalars(select(Quiz).where(Quiz.project_id == project.id)).first()
    make.session.add(
        QuizAttempt(
            quiz_id=quiz.id,
            trainee_id=session.trainee_id,
            started_at=at,
            submitted_at=at + timedelta(minutes=7, seconds=5),
            question_ids=[],
            option_orders={},
            score=100,
            passed=True,
        )
    )
    make.session.flush()


@pytest.fixture
def printed(app, client, make, admin_login, tmp_path):
    """{kind: (xlsx path, pdf path)} of the closed demo project."""
    seeded = seed_demo()
    make.session.commit()
    project = make.session.get(Project, seeded["project_id"])
    _checks_and_attempts(make, project)
    hr = make.session.scalar(select(AdminUser).where(AdminUser.username == "hr"))
    close_project(project, hr, "演示结项", client_address="")
    make.session.commit()
    admin_login(make.admin(Role.ENTERPRISE_ADMIN, enterprise=project.enterprise))
    sources = []
    for kind in KINDS:
        response = client.get(f"/api/admin/projects/{project.id}/exports/{kind}?format=xlsx")
        assert response.status_code == 200, (kind, response.get_data(as_text=True)[:300])
        path = tmp_path / f"{kind}.xlsx"
        path.write_bytes(response.data)
        response.close()
        sources.append(str(path))
    subprocess.run(  # noqa: S603 - our own arguments, no shell
        [
            _soffice(),
            "--headless",
            f"-env:UserInstallation=file://{tmp_path}/lo-profile",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path / "pdf"),
            *sources,
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    out = {}
    for kind in KINDS:
        pdf = tmp_path / "pdf" / f"{kind}.pdf"
        shutil.copy(pdf, ARTIFACTS / f"{kind}.pdf")
        shutil.copy(tmp_path / f"{kind}.xlsx", ARTIFACTS / f"{kind}.xlsx")
        out[kind] = (tmp_path / f"{kind}.xlsx", pdf)
    return out


@dataclass(frozen=True)
class Printed:
    """A run of text as LibreOffice placed it on a page, with the clip it is drawn in."""

    page: int
    text: str
    box: tuple[float, float, float, float]  # left, bottom, right, top in points
    clip: tuple[float, float, float, float] | None
    page_width: float


def _clip_box(obj) -> tuple[float, float, float, float] | None:
    clip = pdfium_c.FPDFPageObj_GetClipPath(obj.raw)
    if not clip:
        return None
    xs, ys = [], []
    for path in range(pdfium_c.FPDFClipPath_CountPaths(clip)):
        for n in range(pdfium_c.FPDFClipPath_CountPathSegments(clip, path)):
            segment = pdfium_c.FPDFClipPath_GetPathSegment(clip, path, n)
            x, y = ctypes.c_float(), ctypes.c_float()
            pdfium_c.FPDFPathSegment_GetPoint(segment, x, y)
            xs.append(x.value)
            ys.append(y.value)
    return (min(xs), min(ys), max(xs), max(ys)) if xs else None


def _runs(pdf_path: Path) -> list[Printed]:
    """Every text object of the PDF with its box and its clip box (pdfium)."""
    runs = []
    document = pdfium.PdfDocument(str(pdf_path))
    for number, page in enumerate(document):
        textpage = page.get_textpage()
        for obj in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_TEXT]):
            size = pdfium_c.FPDFTextObj_GetText(obj.raw, textpage.raw, None, 0)
            buffer = (ctypes.c_ushort * size)()
            pdfium_c.FPDFTextObj_GetText(obj.raw, textpage.raw, buffer, size)
            text = bytes(buffer).decode("utf-16-le", "replace").rstrip("\x00").strip()
            if text:
                runs.append(
                    Printed(number, text, obj.get_bounds(), _clip_box(obj), page.get_width())
                )
    document.close()
    return runs


# Check boxes are drawn in a fallback font, which the text extraction places out of order.
_BOXES = str.maketrans("", "", "☑□")


def _squeezed(text: str) -> str:
    return "".join(str(text).split()).translate(_BOXES)


def _cell_texts(xlsx: Path) -> list[str]:
    book = load_workbook(xlsx)
    return [
        cell.value
        for sheet in book.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if isinstance(cell.value, str) and cell.value.strip()
    ]


def _cut(runs: list[Printed]) -> list[str]:
    slack = 0.6  # points: a glyph box may touch its clip
    return [
        run.text
        for run in runs
        if run.clip
        and (
            run.box[0] < run.clip[0] - slack
            or run.box[2] > run.clip[2] + slack
            or run.box[1] < run.clip[1] - slack
            or run.box[3] > run.clip[3] + slack
        )
    ]


def _overlapping(runs: list[Printed]) -> list[tuple[str, str]]:
    return [
        (a.text, b.text)
        for i, a in enumerate(runs)
        for b in runs[i + 1 :]
        if a.page == b.page
        # Runs of one line (a glyph from a fallback font) share its baseline: not an overlap.
        and abs(a.box[1] - b.box[1]) > 1
        and min(a.box[2], b.box[2]) - max(a.box[0], b.box[0]) > 1.5
        and min(a.box[3], b.box[3]) - max(a.box[1], b.box[1]) > 1.5
    ]


def _broken(runs: list[Printed]) -> list[str]:
    """Runs ending a line with "（": the bracket's content went to the next line."""

    def continued(run: Printed) -> bool:
        return any(
            other.page == run.page
            and abs(other.box[1] - run.box[1]) < 1.5
            and -1 <= other.box[0] - run.box[2] < 4
            for other in runs
        )

    return [run.text for run in runs if run.text.endswith("（") and not continued(run)]


def test_every_export_prints_whole_on_pages_one_wide(printed):
    problems = {}
    for kind, (xlsx, pdf) in printed.items():
        text = _squeezed("".join(page.extract_text() for page in PdfReader(pdf).pages))
        runs = _runs(pdf)
        found = {
            # Every text cell's value is in the PDF's text ...
            "missing": [v for v in _cell_texts(xlsx) if _squeezed(v) not in text],
            # ... and none is clipped by its cell (a column too narrow, a row too low),
            "cut": _cut(runs),
            # printed over another (a wrapped text running into the next rows),
            "overlapping": _overlapping(runs),
            # broken inside a bracket (a header wrapped as "补贴（" / "元）"),
            "broken": _broken(runs),
            # or beyond the page's width (every sheet is fitted to one page wide).
            "outside": [r.text for r in runs if r.box[0] < 0 or r.box[2] > r.page_width],
        }
        found = {name: items for name, items in found.items() if items}
        if found or not runs:
            problems[kind] = found or "nothing printed"
    assert problems == {}
