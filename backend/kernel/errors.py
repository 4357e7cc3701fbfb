"""Domain errors: services raise a code; one table maps each code to an HTTP status and a
Chinese message, for the JSON API and for the admin pages alike."""

from __future__ import annotations

from dataclasses import dataclass


class DomainError(Exception):
    """A business rule refused the request; ``code`` is a key of ``ERRORS``."""

    def __init__(
        self,
        code: str,
        message: str | None = None,
        *,
        details: list | None = None,
        headers: dict[str, str] | None = None,
        **params,
    ) -> None:
        if code not in ERRORS:
            raise KeyError(f"unknown domain error code {code!r}: add it to ERRORS")
        super().__init__(code)
        self.code = code
        self.params = params
        self.details = details
        self.headers = headers or {}
        spec = ERRORS[code]
        self.status = spec.status
        self.message = message or spec.message.format(**params)


class NotFoundError(DomainError):
    """The object does not exist or the caller may not see it (never says which)."""

    def __init__(self, message: str | None = None) -> None:
        super().__init__("not_found", message)


@dataclass(frozen=True)
class ErrorSpec:
    """How one domain error is answered."""

    status: int
    message: str


E = ErrorSpec

# code -> (HTTP status, Chinese message; {name} placeholders are filled from the error's params).
ERRORS: dict[str, ErrorSpec] = {
    "not_found": E(404, "请求的资源不存在"),
    "forbidden": E(403, "没有权限执行此操作"),
    "validation_error": E(422, "请求参数不正确"),
    "conflict": E(409, "请求与当前状态冲突"),
    "service_unavailable": E(503, "服务暂不可用，请稍后再试"),
    # The web layer: requests, sign-in and uploads (backend/api.py, backend/admin/, miniprogram_api)
    "invalid_json": E(400, "请求体不是合法的 JSON"),
    "unsupported_media_type": E(415, "请求内容类型不受支持，请使用 application/json"),
    "password_change_required": E(403, "请先修改临时密码"),
    "unstorable_text": E(400, "输入内容包含无法保存的字符，请删除后重试"),
    "file_missing": E(400, "请选择要上传的文件"),
    "question_invalid": E(422, "题目内容不正确"),
    # Lifecycle (backend/kernel/lifecycle.py)
    "project_closed": E(409, "培训项目已结束，不能再{activity}"),
    "project_not_open": E(409, "培训项目尚未备案或已结束，暂不能{activity}"),
    "project_status_conflict": E(409, "培训项目当前状态为“{status}”，不能{activity}"),
    "project_not_in_progress": E(409, "培训项目不在开展日期内，暂不能学习"),
    "claim_not_submittable": E(409, "补贴申领已提交或已通过审核，不能再次提交"),
    "claim_not_submitted": E(409, "补贴申领不在待审核状态"),
    # Scope (backend/kernel/scope.py)
    "enrolment_withdrawn": E(409, "你已退出该培训项目，不能继续学习或作答"),
    # Raised by the services under backend/services (messages given at the raise replace these).
    "attempt_limit_reached": E(409, "作答次数已用完"),
    "quiz_bank_empty": E(409, "该测验的题库还没有题目，请稍后再来"),
    "answer_invalid": E(422, "单选题和判断题只能选一个答案"),
    "attempt_submitted": E(409, "本次作答已交卷，不能再修改答案"),
    "attempt_time_up": E(409, "作答时间已到，已按时保存的答案计分"),
    "question_not_in_attempt": E(422, "该题不在本次作答中"),
    "wechat_unavailable": E(503, "微信服务暂时不可用，请稍后再试"),
    "invalid_code": E(400, "登录凭证无效，请重新登录"),
    "code_used": E(400, "登录凭证已使用，请重新登录"),
    "wechat_rate_limited": E(429, "微信接口调用过于频繁，请稍后再试"),
    "wechat_user_blocked": E(403, "该微信账号存在风险，已被微信限制登录"),
    "unsupported_file": E(400, "不支持旧版 Excel（.xls）文件，请另存为 .xlsx 或 .csv 后上传"),
    "unreadable_file": E(400, "无法读取该文件，请检查文件是否完整"),
    "file_too_large": E(413, "文件过大"),
    "import_not_found": E(404, "导入预览已过期或不存在，请重新上传名册"),
    "roster_conflict": E(409, "名册与平台已有的学员冲突，请修改后重新上传"),
    "practice_unlimited": E(422, "练习不限次数、不限时间，请不要设置次数或时间限制"),
    "course_not_in_project": E(422, "所选课程不属于该培训项目"),
    "plan_missing": E(422, "请先填写线上培训计划，再提交备案"),
    "account_already_bound": E(409, "该账号已绑定其他微信，请联系企业管理员解绑后再试"),
    "wechat_already_bound": E(409, "该微信已绑定其他学员账号，请联系企业管理员"),
    "wechat_not_bound": E(409, "请先用微信登录并绑定账号，再进行人脸核身"),
    "too_many_threads": E(429, "今天提交的问题较多，请在已有的问题中继续留言"),
    "thread_closed": E(409, "该问题已关闭，如有新问题请重新提交"),
    "thread_full": E(409, "该问题的留言已达上限，请重新提交新问题"),
    "not_xlsx": E(400, "请上传 Excel 2007 及以上格式（.xlsx）的题库文件"),
    "import_rows_invalid": E(422, "文件中有不符合要求的行，未导入任何内容"),
    "import_empty": E(422, "文件中没有题目"),
    "import_header_invalid": E(422, "表头与导入模板不一致"),
    "too_many_rows": E(400, "文件行数超过上限"),
    "invalid_token": E(401, "登录已失效，请重新登录"),
    "account_disabled": E(403, "该学员账号已停用，请联系企业管理员"),
    "invalid_bind_ticket": E(400, "绑定凭证无效或已过期，请重新登录"),
    "override_not_allowed": E(403, "只有平台运营人员可以接受校验位不符的代码"),
    "too_many_attempts": E(429, "尝试次数过多，请稍后再试"),
    "account_locked": E(429, "登录失败次数过多，账号已临时锁定，请稍后再试"),
    "invalid_credentials": E(401, "用户名或密码不正确"),
    "bind_failed": E(400, "绑定失败：账号或验证信息不正确，请核对后重试"),
    "unauthorized": E(401, "请先登录"),
}


def register(code: str, status: int, message: str) -> None:
    """Add a code to the table (feature modules call this at import time for their codes)."""
    # One code, one status; a second module may word the message its own way at the raise.
    existing = ERRORS.get(code)
    if existing is not None:
        if existing.status != status:
            raise ValueError(f"domain error {code!r} is already registered with {existing.status}")
        return
    ERRORS[code] = ErrorSpec(status, message)
