"""Certificates drawn as a batch at close: each its own one-page PDF, signed whole, printing its
own trainee and its own serial's QR code; and a later batch never draws with an earlier batch's
font subset."""

from __future__ import annotations

import pypdfium2
import sqlalchemy as sa

from backend.clock import clock
from backend.models import Certificate, Lesson, ProjectCourse
from backend.services.certificates import document
from tests import certificate_helpers as ch

HOUR = 45 * 60


def _pages(pdf: bytes) -> int:
    pdf_document = pypdfium2.PdfDocument(pdf)
    try:
        return len(pdf_document)
    finally:
        pdf_document.close()


def test_each_certificate_of_a_batch_is_its_own_signed_page(app, client, make, admin_login):
    world = ch.build(make)
    lesson = make.session.scalar(
        sa.select(Lesson)
        .join(ProjectCourse, ProjectCourse.course_id == Lesson.course_id)
        .where(ProjectCourse.project_id == world.project.id)
    )
    # A second qualifying trainee whose name shares no character with 王五's.
    qian = make.trainee(world.enterprise, name="钱七", roster_seq=3)
    make.enrol(qian, world.project)
    make.learning(qian, lesson, clock.now(), 6 * HOUR)
    make.session.commit()
    ch.close(client, admin_login(world.hr), world.project)

    certificates = make.session.scalars(sa.select(Certificate).order_by(Certificate.id)).all()
    by_trainee = {c.trainee_id: c for c in certificates}
    assert set(by_trainee) == {world.wang.id, qian.id}
    pairs = [(by_trainee[world.wang.id], "王五", "钱七"), (by_trainee[qian.id], "钱七", "王五")]
    for certificate, own, other in pairs:
        pdf = certificate.pdf
        assert _pages(pdf) == 1
        ch.assert_signed_whole(pdf, app.config["SIGNING_CERT_PATH"])
        assert ch.qr_text(pdf) == f"http://shigang.test/verify/{certificate.serial}"
        flat = "".join(ch.page_text(pdf).split())
        assert own in flat and certificate.serial in flat
        assert other not in flat
        # Small: only the glyphs the page prints are embedded.
        assert len(pdf) < 80_000
    assert by_trainee[qian.id].fields["class_hours"] == 6
    assert by_trainee[world.wang.id].serial != by_trainee[qian.id].serial


def test_a_later_batch_draws_with_its_own_characters(app):
    fields = {key: None for key in document.FIELD_LABELS}
    fields.update(name="王五", enterprise="深圳甲精密制造有限公司", issue_date="2026年7月1日")
    corrected = dict(fields, name="王伍")
    with app.app_context():
        first = document.Renderer([document.texts_of(fields)])
        first.unsigned("GD2026-AAAA-BBBB-CCCC", fields, "http://shigang.test/verify/x")
        # A re-issue after a correction: 伍 is in no earlier subset.
        second = document.Renderer([document.texts_of(corrected)])
        pdf = second.unsigned("GD2026-AAAA-BBBB-DDDD", corrected, "http://shigang.test/verify/y")
    flat = "".join(ch.page_text(pdf).split())
    assert "王伍" in flat and "GD2026-AAAA-BBBB-DDDD" in flat


def test_long_values_wrap_inside_the_page(app):
    fields = {key: "—" for key in document.FIELD_LABELS}
    long_name = "数控车工线上适岗培训暨精密制造安全生产与质量管理综合提升专题培训班" * 2
    fields.update(project=long_name, enterprise="深圳甲精密制造有限公司")
    with app.app_context():
        renderer = document.Renderer([document.texts_of(fields)])
        pdf = renderer.unsigned("GD2026-AAAA-BBBB-EEEE", fields, "http://shigang.test/verify/z")
        font = renderer.regular
    assert _pages(pdf) == 1
    assert long_name in "".join(ch.page_text(pdf).split())
    lines = document.wrap(long_name, font, 10.5, 100)
    assert len(lines) > 1 and "".join(lines) == long_name
    from reportlab.pdfbase.pdfmetrics import stringWidth

    assert all(stringWidth(line, font, 10.5) <= 100 for line in lines)


def test_signatures_reusing_an_earlier_cms_validate(app):
    """After the first signature of a length, the CMS is an earlier one with the new digest and
    signature put in: every one of a run validates, covers its own file, and breaks when
    changed."""
    from backend.services.certificates import signing

    fields = {key: None for key in document.FIELD_LABELS}
    fields.update(name="王五", enterprise="深圳甲精密制造有限公司", issue_date="2026年7月1日")
    with app.app_context():
        renderer = document.Renderer([document.texts_of(fields)])
        serials = [f"GD2026-AAAA-BBBB-{n:04d}" for n in range(8)]
        pdfs = [renderer.signed(s, fields, f"http://shigang.test/verify/{s}") for s in serials]
        templates = len(signing.pdf_signer()[0].signer._templates)
    # ECDSA signatures have a few lengths: most of the eight were made from a kept CMS.
    assert 1 <= templates <= 4
    cert_path = app.config["SIGNING_CERT_PATH"]
    for serial, pdf in zip(serials, pdfs, strict=True):
        ch.assert_signed_whole(pdf, cert_path)
        assert serial in "".join(ch.page_text(pdf).split())
    # Another certificate's signature put into this one's file does not validate.
    first, second = (ch.validate(pdf, cert_path)[0] for pdf in pdfs[:2])
    assert first.intact and second.intact
    at = pdfs[0].index(b"/Contents <") + len(b"/Contents <")
    other = pdfs[1].index(b"/Contents <") + len(b"/Contents <")
    end = pdfs[0].index(b">", at)
    swapped = pdfs[0][:at] + pdfs[1][other : other + end - at] + pdfs[0][end:]
    status, _ = ch.validate(swapped, cert_path)
    assert not status.intact
