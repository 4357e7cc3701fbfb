"""The evidence behind the figures: credited spans, listed per trainee, lesson and project."""

from sqlalchemy import select

from backend.extensions import db
from backend.models import CreditedSpan
from backend.services.learning import progress
from tests.learning_driver import Learner, enrolled


def _spans(trainee_id: int) -> list[CreditedSpan]:
    query = select(CreditedSpan).where(CreditedSpan.trainee_id == trainee_id)
    return list(db.session.scalars(query.order_by(CreditedSpan.start_at)))


def test_credited_spans_explain_every_second(client, make, frozen_clock, drain):
    project, lesson, trainee = enrolled(make, attention_checks_enabled=False)
    other_lesson = make.lesson(lesson.course)
    me = Learner(client, make, trainee)
    start = frozen_clock.now()
    me.check_in(lesson)
    me.play(120)
    me.end()
    frozen_clock.advance(100)
    pad = Learner(client, make, trainee, device="iPad")
    pad.check_in(other_lesson)
    pad.play(60)
    pad.end()

    drain()
    spans = _spans(trainee.id)
    # A session's back-to-back credit is one span (coalesced by the drain), sealed when the
    # session ended.
    assert [((s.start_at - start).seconds, s.seconds, s.device, s.lesson_id) for s in spans] == [
        (0, 120, "iPhone 15", lesson.id),
        (220, 60, "iPad", other_lesson.id),
    ]
    assert [s.session_id for s in spans] == [me.session_id, pad.session_id]
    assert all(s.chain_hash for s in spans)
    assert all(s.project_id == project.id for s in spans)
    assert progress.lesson_credit_s(trainee.id, lesson.id) == 120
