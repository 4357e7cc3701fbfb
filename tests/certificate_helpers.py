"""A closed project with certificates, and readers of certificate PDFs (pyHanko, the QR code
on the rendered first page)."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, datetime

from backend.clock import clock
from backend.models import Enterprise, Project, Role, Trainee
from tests.factories import id_number

HOUR = 45 * 60
PASSWORD_ID = id_number(5150)


@dataclass
class World:
    """Two enterprises; 王五 (20 class hours) and 赵六 (none) in the first one's project; 李四
    learns in the second enterprise's project."""

    enterprise: Enterprise
    other: Enterprise
    project: Project
    other_project: Project
    wang: Trainee
    zhao: Trainee
    li: Trainee
    hr: object
    other_hr: object
    operator: object


def build(make, *, assessment_required: bool = False) -> World:
    """The world, projects still open (the clock on 2026-03-02)."""
    clock.freeze(datetime(2026, 3, 2, 1, 0, tzinfo=UTC))
    enterprise = make.enterprise(name="深圳甲精密制造有限公司", division="440305")
    other = make.enterprise(name="广州乙公司", division="440106")
    project = make.project(
        enterprise,
        name="数控车工线上适岗培训",
        post_trade="数控车工",
        planned_class_hours=40,
        attention_checks_enabled=False,
        assessment_required=assessment_required,
    )
    other_project = make.project(other, name="广州项目", attention_checks_enabled=False)
    lesson = make.lesson(make.course(project), duration_s=40 * HOUR)
    other_lesson = make.lesson(make.course(other_project), duration_s=40 * HOUR)
    wang = make.trainee(enterprise, name="王五", id_number=PASSWORD_ID, roster_seq=1)
    zhao = make.trainee(enterprise, name="赵六", roster_seq=2)
    li = make.trainee(other, name="李四", roster_seq=1)
    for trainee, proj in ((wang, project), (zhao, project), (li, other_project)):
        make.enrol(trainee, proj)
    make.learning(wang, lesson, clock.now(), 20 * HOUR)
    make.learning(li, other_lesson, clock.now(), 3 * HOUR)
    world = World(
        enterprise=enterprise,
        other=other,
        project=project,
        other_project=other_project,
        wang=wang,
        zhao=zhao,
        li=li,
        hr=make.admin(Role.ENTERPRISE_ADMIN, enterprise),
        other_hr=make.admin(Role.ENTERPRISE_ADMIN, other),
        operator=make.admin(Role.OPERATOR),
    )
    make.session.commit()
    return world


def close(client, csrf: str, project: Project) -> dict:
    """Close the project over the admin API (after its end date)."""
    clock.freeze(datetime(2026, 7, 1, 2, 0, tzinfo=UTC))
    response = client.post(
        f"/api/admin/projects/{project.id}/close", json={}, headers={"X-CSRFToken": csrf}
    )
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def validate(pdf: bytes, cert_path: str):
    """pyHanko's validation of the PDF's only signature, trusting the configured certificate."""
    from pyhanko.keys import load_cert_from_pemder
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation.pdf_embedded import async_validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    from backend.services.certificates.signing import run_async

    trusted = load_cert_from_pemder(cert_path)
    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    signatures = reader.embedded_signatures
    assert len(signatures) == 1
    context = ValidationContext(trust_roots=[trusted], allow_fetching=False)
    # Not pyHanko's sync wrapper: it fails where the browser tests left an event loop running.
    return run_async(async_validate_pdf_signature(signatures[0], context)), trusted


def assert_signed_whole(pdf: bytes, cert_path: str) -> None:
    """Intact, valid, covering the whole file, signed by the configured certificate."""
    from pyhanko.sign.validation import SignatureCoverageLevel

    status, trusted = validate(pdf, cert_path)
    assert status.intact and status.valid and status.trusted, status.pretty_print_details()
    assert status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    assert status.signing_cert.dump() == trusted.dump()


def qr_text(pdf: bytes) -> str:
    """The text of the QR code on the PDF's first page, rendered at 200 dpi."""
    import pypdfium2
    from pyzbar import pyzbar

    document = pypdfium2.PdfDocument(pdf)
    try:
        image = document[0].render(scale=200 / 72).to_pil().convert("L")
    finally:
        document.close()
    codes = pyzbar.decode(image)
    assert len(codes) == 1, codes
    return codes[0].data.decode()


def page_text(pdf: bytes) -> str:
    """The first page's text."""
    import pypdfium2

    document = pypdfium2.PdfDocument(pdf)
    try:
        return document[0].get_textpage().get_text_range()
    finally:
        document.close()
