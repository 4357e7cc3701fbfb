"""Face checks asked on a computer: the mini-program code that opens the check on the
trainee's phone (``scene`` ``fc=<id>``), and the check as the phone and the page read it."""

from __future__ import annotations

import base64

from backend.clock import now
from backend.kernel.errors import DomainError
from backend.kernel.scope import get_for_trainee
from backend.models import FaceCheck, FaceCheckOutcome, Trainee
from backend.services.accounts import wxacode
from backend.services.learning.live import epoch_s

SCENE_PREFIX = "fc="


def _check(trainee: Trainee, check_id: int) -> FaceCheck:
    return get_for_trainee(FaceCheck, check_id, trainee, message="人脸核身不存在")


def read(trainee: Trainee, check_id: int) -> dict:
    """A face check of the trainee: its verify_id, time left and outcome so far (no side
    effect: the page may poll it while the phone runs the check)."""
    check = _check(trainee, check_id)
    left = max(0, epoch_s(check.expires_at) - epoch_s(now()))
    return {
        "id": check.id,
        "verify_id": check.verify_id,
        "expires_in": left if check.outcome is FaceCheckOutcome.PENDING else 0,
        "outcome": check.outcome.value,
        "reason": check.reason,
    }


def code(trainee: Trainee, check_id: int) -> dict:
    """The mini-program code of an open face check, as a data: URL the page can show."""
    check = _check(trainee, check_id)
    left = epoch_s(check.expires_at) - epoch_s(now())
    if check.outcome is not FaceCheckOutcome.PENDING or left <= 0:
        raise DomainError("face_check_closed")
    scene = f"{SCENE_PREFIX}{check.id}"
    png = wxacode.image(wxacode.FACE_CHECK_PAGE, scene, max(left, 1))
    return {
        "id": check.id,
        "scene": scene,
        "page": wxacode.FACE_CHECK_PAGE,
        "image": "data:image/png;base64," + base64.b64encode(png).decode("ascii"),
        "expires_in": max(left, 0),
    }
