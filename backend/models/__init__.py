"""All models, imported here so that Alembic and the app see the whole schema."""

from backend.models.admin import AdminUser, AuditLog, Role
from backend.models.integrity import (
    FaceCheck,
    FaceCheckAt,
    FaceCheckOutcome,
    FaceCheckTrigger,
    RecordChainHead,
)
from backend.models.learning import (
    AttentionCheck,
    CheckKind,
    CheckOutcome,
    CreditedSpan,
    LearningSession,
    SessionStatus,
)
from backend.models.org import Enterprise, Institution, Platform
from backend.models.project import (
    Course,
    CoursePlanRow,
    Lesson,
    LessonKind,
    Project,
    ProjectCourse,
    ProjectStatus,
    ResourceForm,
    TrainingType,
)
from backend.models.quiz import (
    AttemptAnswer,
    Evaluation,
    Question,
    QuestionKind,
    Quiz,
    QuizAttempt,
    QuizKind,
    SupportMessage,
    SupportThread,
)
from backend.models.trainee import ActivationCode, Enrolment, Gender, Trainee

__all__ = [
    "ActivationCode",
    "AdminUser",
    "AttemptAnswer",
    "AttentionCheck",
    "AuditLog",
    "CheckKind",
    "CheckOutcome",
    "Course",
    "CoursePlanRow",
    "CreditedSpan",
    "Enrolment",
    "Enterprise",
    "Evaluation",
    "FaceCheck",
    "FaceCheckAt",
    "FaceCheckOutcome",
    "FaceCheckTrigger",
    "Gender",
    "Institution",
    "LearningSession",
    "Lesson",
    "LessonKind",
    "Platform",
    "Project",
    "ProjectCourse",
    "ProjectStatus",
    "Question",
    "QuestionKind",
    "Quiz",
    "QuizAttempt",
    "QuizKind",
    "RecordChainHead",
    "ResourceForm",
    "Role",
    "SessionStatus",
    "SupportMessage",
    "SupportThread",
    "Trainee",
    "TrainingType",
]
