"""Face checks (人脸核身): the server asks WeChat for the result of a check the trainee ran."""

from __future__ import annotations

from flask import g

from backend.api import endpoint
from backend.extensions import db
from backend.services.learning import face_checks
from miniprogram_api.blueprint import bp
from miniprogram_api.learning_schemas import FaceCheckResult

TAGS = ("learning",)


@bp.post("/face-checks/<id:check_id>/result")
@endpoint(
    summary="人脸核身结果：完成 wx.requestFacialVerify 后调用（服务器向微信查询）",
    response=FaceCheckResult,
    tags=TAGS,
)
def face_check_result(check_id):
    result = face_checks.result(g.trainee, check_id)
    db.session.commit()
    return result
