"""Demo data for a newcomer's first run and for manual trials of the trainee flow."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from werkzeug.security import generate_password_hash

from backend import demo_certificates, demo_learning, pii
from backend.clock import today
from backend.extensions import db
from backend.models import (
    AdminUser,
    Course,
    Enrolment,
    Enterprise,
    Lesson,
    LessonKind,
    Platform,
    Project,
    ProjectCourse,
    ProjectStatus,
    Question,
    QuestionKind,
    Quiz,
    QuizKind,
    Role,
    Trainee,
    TrainingType,
)
from backend.services.projects import filing, regions
from backend.validation import resident_id_check_char

# A Guangzhou code (division 440101) with a valid check character, like the address.
DEMO_CREDIT_CODE = "914401011922000103"
DEMO_PASSWORD = "shigang-demo-2020"  # noqa: S105 - printed for the demo; never used in production

# (name, gender, birth date, sequence digits, mobile, account)
_ROSTER = [
    ("张伟", "male", "19900307", "001", "13800138001", "zhangwei"),
    ("王芳", "female", "19920715", "002", "13800138002", "wangfang"),
    ("李娜", "female", "19881120", "004", "13800138003", "lina"),
    ("刘强", "male", "19950101", "011", "13800138004", "liuqiang"),
    ("陈静", "female", "19970909", "022", "13800138005", "chenjing"),
]


def demo_id_number(birth: str, seq: str, region: str = "440106") -> str:
    """A resident ID number with a valid check digit (for demo and test data only)."""
    body = region + birth + seq
    return body + resident_id_check_char(body)


def seed_demo() -> dict:
    """Create the demo enterprise, project, courses, lessons, roster and admins (idempotent)."""
    existing = db.session.scalar(
        select(Enterprise).where(Enterprise.credit_code == DEMO_CREDIT_CODE)
    )
    if existing is not None:
        return {"created": False, "enterprise_id": existing.id}

    enterprise = Enterprise(
        name="广州示例制造有限公司",
        credit_code=DEMO_CREDIT_CODE,
        registered_address="广州市天河区示例路 1 号",
        legal_representative="赵总",
        contact_phone="020-83700000",
    )
    regions.refresh_city(enterprise)
    platform = Platform(
        name="适岗线上培训平台（微信小程序）",
        icp_number="粤ICP备00000000号",
        url_or_package="wxdemo00000000000",
        ip_address="127.0.0.1",
        server_city="广州",
    )
    start = today() - timedelta(days=7)
    project = Project(
        enterprise=enterprise,
        platform=platform,
        name="2026 年一线员工线上适岗培训",
        post_trade="装配工",
        training_type=TrainingType.ON_JOB,
        planned_headcount=len(_ROSTER),
        method="线上培训（微信小程序）",
        start_date=start,
        end_date=start + timedelta(days=90),
        planned_class_hours=8,
        person_in_charge="钱经理",
        person_mobile="13900139000",
        goal="掌握岗位安全操作规程与质量标准",
        status=ProjectStatus.DRAFT,
        # Face checks: at the first check-in of each day and about every 45 minutes.
        face_check_at_check_in="first_of_day",
        face_check_interval_s=45 * 60,
    )
    # The plan is the project's courses (附件1 lists them itself): no hand-written row repeats one.
    plan = [
        ("安全生产基础", "安全操作规程、事故案例"),
        ("质量管理入门", "质量标准与检验方法"),
    ]
    for position, (name, content) in enumerate(plan):
        course = Course(enterprise=enterprise, name=name, summary=content)
        course.lessons = [
            Lesson(title=f"{name}（{n}）", position=n, kind=LessonKind.VIDEO, duration_s=45 * 60)
            for n in range(1, 5)
        ]
        project.course_links.append(ProjectCourse(course=course, position=position))
    db.session.add(project)
    db.session.flush()

    _seed_questions(project)

    trainees = []
    for seq, (name, gender, birth, digits, mobile, account) in enumerate(_ROSTER, start=1):
        trainee = Trainee(
            enterprise=enterprise, roster_seq=seq, name=name, gender=gender, account=account
        )
        pii.set_id_number(trainee, demo_id_number(birth, digits))
        pii.set_mobile(trainee, mobile)
        db.session.add(trainee)
        db.session.add(Enrolment(project=project, trainee=trainee))
        trainees.append(trainee)

    hr = _admin("hr", "企业管理员", Role.ENTERPRISE_ADMIN, enterprise)
    reviewer = _admin("reviewer", "人社审核人员", Role.REVIEWER)
    db.session.add_all([_admin("operator", "平台运营", Role.OPERATOR), hr, reviewer])
    db.session.flush()
    demo_learning.seed_media(project)
    # Filed and approved the app's way: the filing snapshot freezes 附件1 as submitted.
    filing.submit_for_filing(project, hr, client_address="")
    filing.review_filing(project, "approved", "", reviewer, client_address="")
    db.session.flush()
    demo_learning.seed_history(project, trainees)
    demo_learning.seed_support(hr, trainees)
    operator = db.session.scalar(select(AdminUser).where(AdminUser.username == "operator"))
    closed = demo_certificates.seed_closed_project(project, trainees, operator)
    return {
        "created": True,
        "enterprise_id": enterprise.id,
        "project_id": project.id,
        "closed_project_id": closed.id,
    }


def _admin(username: str, name: str, role: Role, enterprise=None) -> AdminUser:
    return AdminUser(
        username=username,
        password_hash=generate_password_hash(DEMO_PASSWORD),
        display_name=name,
        role=role,
        enterprise=enterprise,
    )


_QUESTIONS = [
    (QuestionKind.SINGLE, "进入生产车间前必须佩戴的是？", ["手套", "安全帽", "耳机", "围巾"], "B"),
    (QuestionKind.TRUE_FALSE, "设备运转时可以伸手清理卡料。", ["正确", "错误"], "B"),
    (
        QuestionKind.MULTIPLE,
        "发现火情时应当：",
        ["立即报告", "切断电源", "乘坐电梯撤离", "使用灭火器初期扑救"],
        "ABD",
    ),
    (
        QuestionKind.SINGLE,
        "首件检验的目的是？",
        ["提高产量", "确认工艺正确", "节约材料", "减少人手"],
        "B",
    ),
]


_ATTENTION = [
    (
        QuestionKind.SINGLE,
        "本课节刚讲到的是哪类安全要求？",
        ["着装与防护", "财务报销", "考勤", "食堂"],
        "A",
    ),
    (QuestionKind.TRUE_FALSE, "本课节要求离开工位前关闭设备电源。", ["正确", "错误"], "A"),
]


def _seed_questions(project: Project) -> None:
    """A small question bank on the first course, a practice quiz and an assessment."""
    course = project.courses[0]
    for position, (kind, stem, options, answer) in enumerate(_QUESTIONS):
        db.session.add(
            Question(
                course_id=course.id,
                kind=kind,
                stem=stem,
                options=options,
                answer=answer,
                explanation="参见本课程安全操作规程。",
                position=position,
            )
        )
    # The attention pool: asked by 随机弹题 only, never in practice (which shows answers).
    for position, (kind, stem, options, answer) in enumerate(_ATTENTION, len(_QUESTIONS)):
        question = Question(course_id=course.id, kind=kind, stem=stem, options=options)
        question.answer, question.position, question.attention_pool = answer, position, True
        db.session.add(question)
    db.session.add_all(
        [
            Quiz(
                project_id=project.id,
                course_id=course.id,
                title="安全生产练习",
                kind=QuizKind.PRACTICE,
                question_count=len(_QUESTIONS),
            ),
            Quiz(
                project_id=project.id,
                title="结业考核",
                kind=QuizKind.ASSESSMENT,
                attempt_limit=3,
                time_limit_s=1800,
                pass_score=60,
                question_count=3,
            ),
        ]
    )
