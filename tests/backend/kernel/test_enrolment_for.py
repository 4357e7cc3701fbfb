"""The trainee side is scoped in one place: enrolled, and in the trainee's own enterprise."""

import pytest

from backend.errors import NotFound
from backend.kernel.scope import enrolment_for


def test_own_enrolment_is_found(app, make):
    trainee = make.trainee()
    project = make.project(trainee.enterprise)
    enrolment = make.enrol(trainee, project)
    assert enrolment_for(trainee, project.id) is enrolment
    assert enrolment_for(trainee, project.id, lock=True) is enrolment


def test_not_enrolled_is_404(app, make):
    trainee = make.trainee()
    project = make.project(trainee.enterprise)
    with pytest.raises(NotFound):
        enrolment_for(trainee, project.id)


def test_stray_enrolment_in_another_enterprise_is_404(app, make, client):
    trainee = make.trainee()
    foreign = make.project(make.enterprise())
    lesson = make.lesson(make.course(foreign))
    make.enrol(trainee, foreign)
    with pytest.raises(NotFound) as refused:
        enrolment_for(trainee, foreign.id)
    assert "培训项目" in refused.value.message
    headers = make.auth(trainee)
    for method, path in [
        ("get", f"/api/v1/projects/{foreign.id}/lessons"),
        ("get", f"/api/v1/projects/{foreign.id}/quizzes"),
        ("post", f"/api/v1/lessons/{lesson.id}/sessions"),
    ]:
        body = {"client_ts": 0, "device": "x"} if method == "post" else None
        response = getattr(client, method)(path, headers=headers, json=body)
        assert response.status_code == 404, (path, response.get_json())
