"""The evidence behind the figures: credited spans, listed per trainee, lesson and project."""

from backend.services import progress
from tests.learning_driver import Learner, enrolled


def test_credited_spans_explain_every_second(client, make, frozen_clock):
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

    spans = progress.credited_spans(trainee.id)
    assert [(s.start_at, s.seconds, s.device, s.lesson_id) for s in spans] == [
        (start, 120, "iPhone 15", lesson.id),
        (spans[1].start_at, 60, "iPad", other_lesson.id),
    ]
    assert (spans[1].start_at - start).total_seconds() == 220
    assert [s.session_id for s in spans] == [me.session_id, pad.session_id]
    assert progress.credited_spans(trainee.id, lesson_id=other_lesson.id) == spans[1:]
    assert progress.credited_spans(trainee.id, project_id=project.id) == spans
    assert progress.credited_spans(trainee.id, project_id=project.id + 1) == []
    assert progress.lesson_credit_s(trainee.id, lesson.id) == 120
