"""Lessons in order (sequential projects) and courses shared by several projects."""

from tests.learning_driver import Learner, enrolled


def test_a_sequential_project_opens_a_lesson_once_the_previous_one_is_completed(
    client, make, frozen_clock
):
    project, first, trainee = enrolled(
        make, duration_s=120, sequential=True, attention_checks_enabled=False
    )
    second = make.lesson(first.course, position=1, title="第二课")
    me = Learner(client, make, trainee)
    listed = me.lessons(project)["lessons"]
    assert [row["locked"] for row in listed] == [False, True]
    error = me.check_in(second, expect=409)["error"]
    assert error["code"] == "lesson_locked"
    assert first.title in error["message"]
    me.check_in(first)
    me.play(120)
    me.end(position=120)
    assert [row["locked"] for row in me.lessons(project)["lessons"]] == [False, False]
    me.check_in(second)


def test_a_project_in_any_order_opens_every_lesson(client, make, frozen_clock):
    project, first, trainee = enrolled(make, attention_checks_enabled=False)
    second = make.lesson(first.course, position=1)
    me = Learner(client, make, trainee)
    assert [row["locked"] for row in me.lessons(project)["lessons"]] == [False, False]
    me.check_in(second)


def test_a_course_shared_by_two_projects_credits_the_project_open_for_learning(
    client, make, frozen_clock
):
    project, lesson, trainee = enrolled(make, attention_checks_enabled=False)
    draft = make.project(project.enterprise, status="draft")
    make.attach(draft, lesson.course)
    make.enrol(trainee, draft)
    me = Learner(client, make, trainee)
    me.check_in(lesson)
    me.play(60)
    me.end(position=60)
    assert me.lessons(project)["lessons"][0]["credited_s"] == 60
    assert me.lessons(draft)["lessons"][0]["credited_s"] == 0


def test_a_retired_lesson_is_gone_for_trainees(client, make, frozen_clock):
    project, lesson, trainee = enrolled(make, attention_checks_enabled=False)
    kept = make.lesson(lesson.course, position=1)
    lesson.retired = True
    me = Learner(client, make, trainee)
    assert [row["lesson_id"] for row in me.lessons(project)["lessons"]] == [kept.id]
    assert me.check_in(lesson, expect=404)["error"]["code"] == "not_found"
