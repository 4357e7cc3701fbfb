"""Trainees' evaluation of a project: once per trainee, editable until the project closes."""

from sqlalchemy import func, select

from backend.models import Evaluation, ProjectStatus

RATINGS = {"overall": 5, "content": 4, "teaching": 4, "platform": 3, "comment": "很实用<b>!</b>"}


def _setup(make):
    project = make.project()
    trainee = make.trainee(project.enterprise)
    make.enrol(trainee, project)
    return project, make.auth(trainee)


def test_one_evaluation_per_trainee_editable_until_closed(client, make):
    project, headers = _setup(make)
    url = f"/api/v1/projects/{project.id}/evaluation"
    first = client.post(url, json=RATINGS, headers=headers)
    assert first.status_code == 200 and first.get_json()["created"] is True
    assert first.get_json()["comment"] == RATINGS["comment"]  # stored as given
    second = client.post(url, json={**RATINGS, "overall": 2}, headers=headers)
    assert second.get_json()["created"] is False and second.get_json()["overall"] == 2
    count = select(func.count(Evaluation.id)).where(Evaluation.project_id == project.id)
    assert make.session.scalar(count) == 1
    assert client.get(url, headers=headers).get_json()["overall"] == 2

    project.status = ProjectStatus.CLOSED
    make.session.commit()
    closed = client.post(url, json=RATINGS, headers=headers)
    assert closed.status_code == 409 and closed.get_json()["error"]["code"] == "project_closed"
    assert client.get(url, headers=headers).get_json()["overall"] == 2


def test_ratings_are_validated(client, make):
    project, headers = _setup(make)
    url = f"/api/v1/projects/{project.id}/evaluation"
    for bad in (
        {**RATINGS, "overall": 6},
        {**RATINGS, "content": 0},
        {**RATINGS, "comment": "x" * 501},
        {**RATINGS, "comment": "nul\x00"},
        {"overall": 5},
    ):
        assert client.post(url, json=bad, headers=headers).status_code == 422
    assert client.get(url, headers=headers).status_code == 404


def test_only_enrolled_trainees_evaluate(client, make):
    project, _ = _setup(make)
    outsider = make.trainee(project.enterprise)
    url = f"/api/v1/projects/{project.id}/evaluation"
    assert client.post(url, json=RATINGS, headers=make.auth(outsider)).status_code == 404
