"""One table of project status × activity: every surface asks it, none compares statuses."""

from __future__ import annotations

import enum

from backend.kernel.errors import DomainError
from backend.models import Claim, ClaimStatus, Project, ProjectStatus


class Activity(enum.StrEnum):
    """Something done in a project whose status decides whether it is allowed."""

    LEARN = "learn"
    TAKE_QUIZ = "take_quiz"
    EVALUATE = "evaluate"
    ASK_SUPPORT = "ask_support"
    IMPORT_ROSTER = "import_roster"  # import, enrol, withdraw
    MANAGE_CONTENT = "manage_content"  # attach/detach courses, quizzes of the project
    EDIT_FILING = "edit_filing"
    SUBMIT = "submit"
    REVIEW = "review"
    CLOSE = "close"
    CLAIM = "claim"
    SUPERVISE = "supervise"  # a bureau reads the filing through the supervision API
    CERTIFY = "certify"  # issue or re-issue a training certificate (培训证明)


ACTIVITY_NAMES = {
    Activity.LEARN: "学习",
    Activity.TAKE_QUIZ: "参加练习或考核",
    Activity.EVALUATE: "评价",
    Activity.ASK_SUPPORT: "咨询",
    Activity.IMPORT_ROSTER: "变更学员名册",
    Activity.MANAGE_CONTENT: "调整课程内容",
    Activity.EDIT_FILING: "修改备案信息",
    Activity.SUBMIT: "提交备案",
    Activity.REVIEW: "审核备案",
    Activity.CLOSE: "结束项目",
    Activity.CLAIM: "申领补贴",
    Activity.SUPERVISE: "查阅备案",
    Activity.CERTIFY: "签发培训证明",
}

STATUS_NAMES = {
    ProjectStatus.DRAFT: "草稿",
    ProjectStatus.FILED: "已提交备案",
    ProjectStatus.APPROVED: "备案通过",
    ProjectStatus.RETURNED: "已退回",
    ProjectStatus.CLOSED: "已结束",
}

S = ProjectStatus
A = Activity

# Learning becomes public money, so it runs only in filed or approved training.
ALLOWED: dict[ProjectStatus, frozenset[Activity]] = {
    S.DRAFT: frozenset({A.IMPORT_ROSTER, A.MANAGE_CONTENT, A.EDIT_FILING, A.SUBMIT}),
    S.RETURNED: frozenset(
        {A.IMPORT_ROSTER, A.MANAGE_CONTENT, A.EDIT_FILING, A.SUBMIT, A.SUPERVISE}
    ),
    S.FILED: frozenset(
        {
            A.LEARN,
            A.TAKE_QUIZ,
            A.EVALUATE,
            A.ASK_SUPPORT,
            A.IMPORT_ROSTER,
            A.MANAGE_CONTENT,
            A.REVIEW,
            A.CLOSE,
            A.SUPERVISE,
        }
    ),
    S.APPROVED: frozenset(
        {
            A.LEARN,
            A.TAKE_QUIZ,
            A.EVALUATE,
            A.ASK_SUPPORT,
            A.IMPORT_ROSTER,
            A.MANAGE_CONTENT,
            A.CLOSE,
            A.SUPERVISE,
        }
    ),
    S.CLOSED: frozenset({A.CLAIM, A.ASK_SUPPORT, A.SUPERVISE, A.CERTIFY}),
}

TRAINEE_ACTIVITIES = frozenset({A.LEARN, A.TAKE_QUIZ, A.EVALUATE, A.ASK_SUPPORT})


def allows(project: Project, activity: Activity) -> bool:
    """Whether the project's status permits ``activity``."""
    return activity in ALLOWED[project.status]


def statuses_allowing(activity: Activity) -> tuple[ProjectStatus, ...]:
    """The statuses in which ``activity`` may happen (for queries: ``status.in_(...)``)."""
    return tuple(status for status, activities in ALLOWED.items() if activity in activities)


def ensure(project: Project, activity: Activity) -> None:
    """Raise the domain error that says why ``activity`` is not possible now, if it is not."""
    if allows(project, activity):
        return
    name = ACTIVITY_NAMES[activity]
    if project.status is ProjectStatus.CLOSED:
        raise DomainError("project_closed", activity=name)
    if activity in TRAINEE_ACTIVITIES:
        raise DomainError("project_not_open", activity=name)
    raise DomainError("project_status_conflict", activity=name, status=STATUS_NAMES[project.status])


# ---- a claim's review: claim status × action, beside the project's table -----------------


class ClaimAction(enum.StrEnum):
    """A step of a claim's review whose status decides whether it is allowed."""

    SUBMIT = "submit"  # the enterprise submits a frozen or returned claim
    REVIEW = "review"  # the bureau's reviewer approves or returns a submitted claim


CLAIM_STATUS_NAMES = {
    ClaimStatus.FROZEN: "已结项，未提交申领",
    ClaimStatus.SUBMITTED: "已提交申领，待审核",
    ClaimStatus.RETURNED: "申领已退回",
    ClaimStatus.APPROVED: "申领审核通过",
}

CLAIM_ALLOWED: dict[ClaimStatus, frozenset[ClaimAction]] = {
    ClaimStatus.FROZEN: frozenset({ClaimAction.SUBMIT}),
    ClaimStatus.RETURNED: frozenset({ClaimAction.SUBMIT}),
    ClaimStatus.SUBMITTED: frozenset({ClaimAction.REVIEW}),
    ClaimStatus.APPROVED: frozenset(),
}
# The domain error of an action its claim's status refuses.
CLAIM_REFUSALS = {
    ClaimAction.SUBMIT: "claim_not_submittable",
    ClaimAction.REVIEW: "claim_not_submitted",
}


def claim_allows(claim: Claim, action: ClaimAction) -> bool:
    """Whether the claim's status permits ``action``."""
    return action in CLAIM_ALLOWED[claim.status]


def ensure_claim(claim: Claim, action: ClaimAction) -> None:
    """Raise the domain error that says why ``action`` is not possible on the claim now."""
    if not claim_allows(claim, action):
        raise DomainError(CLAIM_REFUSALS[action])
