"""Lessons, learning sessions (check-in, heartbeats, check-out) and class hours of a trainee."""

from __future__ import annotations

from flask import g

from backend.api import endpoint
from backend.extensions import db
from backend.logs import quiet_access_log
from backend.policy import policy_for
from backend.services.learning import heartbeats, live_status, progress, sessions
from miniprogram_api import heartbeat_route
from miniprogram_api.blueprint import bp
from miniprogram_api.learning_schemas import (
    BeatBatchIn,
    CheckInRequest,
    CheckInResponse,
    EndRequest,
    EndResponse,
    HeartbeatRequest,
    HeartbeatResponse,
    MyHours,
    ProjectLessons,
)

TAGS = ("learning",)


def _rules(project) -> dict:
    policy = policy_for(project)
    return {
        "minutes_per_class_hour": policy.minutes_per_class_hour,
        "fen_per_class_hour": policy.fen_per_class_hour,
        "yearly_cap_fen": policy.yearly_cap_fen_per_trainee,
        "planned_class_hours": project.planned_class_hours,
    }


@bp.get("/projects/<id:project_id>/lessons")
@endpoint(summary="培训项目的课节及学习进度", response=ProjectLessons, tags=TAGS)
def list_project_lessons(project_id):
    return progress.project_lessons(g.trainee, project_id)


@bp.post("/lessons/<id:lesson_id>/sessions")
@endpoint(
    summary="签到：开始学习一个课节（关闭本人其他设备上的学习）",
    body=CheckInRequest,
    response=CheckInResponse,
    status=201,
    tags=TAGS,
)
def check_in(lesson_id, body):
    result = sessions.check_in(
        g.trainee,
        lesson_id,
        body.client_ts,
        body.device,
        body.project_id,
        device_id=body.device_id,
    )
    db.session.commit()
    return result


@bp.post("/sessions/<id:session_id>/heartbeats")
@quiet_access_log
@endpoint(
    summary="心跳，或离线缓存的一批心跳（服务器计时）",
    body=HeartbeatRequest,
    response=HeartbeatResponse,
    auth="bearer",
    tags=TAGS,
)
def post_heartbeat(session_id, body):
    # A live beat that succeeds is answered by heartbeat_route before Flask; here come the
    # batches and whatever it handed on.
    beat = body.root
    if not isinstance(beat, BeatBatchIn):
        return heartbeat_route.apply_live_beat(g.token, session_id, beat)
    result = heartbeats.receive(g.token, session_id, beat.beats, buffered=True)
    heartbeat_route.commit_if_opened()
    return result


@bp.post("/sessions/<id:session_id>/end")
@endpoint(summary="签退：结束学习会话", body=EndRequest, response=EndResponse, tags=TAGS)
def end_session(session_id, body):
    result = sessions.check_out(g.trainee, session_id, body.position_s)
    db.session.commit()
    return result


@bp.get("/me/hours")
@endpoint(summary="我的学时与补贴", response=MyHours, tags=TAGS)
def my_hours():
    projects = [
        {"project_id": project.id, **vars(figures), "rules": _rules(project)}
        for project, figures in live_status.trainee_hours(g.trainee)
    ]
    years = [
        {"year": year, "class_hours": share.class_hours, "subsidy_fen": share.subsidy_fen}
        for year, share in live_status.trainee_years(g.trainee)
    ]
    return {"projects": projects, "years": years}
