"""The demo seed creates a usable, valid data set once."""

from sqlalchemy import func, select

from backend import pii
from backend.demo import seed_demo
from backend.models import AdminUser, CreditedSpan, Enrolment, Lesson, Question, Quiz, Trainee
from backend.services.learning import record_chain
from backend.validation import validate_resident_id


def test_seed_demo_is_valid_and_idempotent(app, make):
    first = seed_demo()
    make.session.commit()
    assert first["created"] is True
    assert seed_demo()["created"] is False
    trainees = make.session.scalars(select(Trainee)).all()
    assert len(trainees) == 5
    for trainee in trainees:
        plain = pii.cipher().decrypt(trainee.id_number_enc)
        assert validate_resident_id(plain, trainee.gender.value) == plain
    count = lambda model: make.session.scalar(select(func.count()).select_from(model))  # noqa: E731
    assert count(Enrolment) == 5
    assert count(Lesson) == 8
    assert count(Question) == 6  # four for quizzes, two in the attention pool
    assert count(Quiz) == 2
    assert count(AdminUser) == 3
    # Every lesson plays a real generated video of its length; some learning happened.
    storage = app.extensions["media_storage"]
    for lesson in make.session.scalars(select(Lesson)):
        assert lesson.duration_s == 2700 and storage.size(lesson.media_key) == lesson.media_bytes
    assert count(CreditedSpan) == 12
    assert record_chain.verify(first["project_id"]).ok
