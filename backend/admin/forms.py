"""WTForms for the admin pages: the one validation approach of the HTML layer.

Field checks reuse backend/validation.py; credit codes are checked by the service
(``set_credit_code``), whose message is put next to the field by the view.
"""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    Form,
    FormField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from backend.validation import InvalidValue, validate_mobile


def choices(pairs) -> list[SelectChoice]:
    """Select options from (value, label) pairs."""
    return [SelectChoice(value, label) for value, label in pairs]


TRAINING_TYPES = [("on_job", "在岗培训"), ("pre_job", "岗前培训"), ("job_transfer", "转岗培训")]
RESOURCE_FORMS = [("video", "视频"), ("document", "文档"), ("live", "直播"), ("audio", "音频")]
FACE_CHECK_AT = [
    ("", "按政策默认"),
    ("first_of_day", "每天首次签到"),
    ("every_session", "每次签到"),
    ("never", "不需要"),
]
REQUIRED = "此项为必填项"


def _mobile(form, field) -> None:
    """A mainland mobile, normalized to its 11 digits."""
    if field.data:
        try:
            field.data = validate_mobile(field.data)
        except InvalidValue as exc:
            raise ValidationError(exc.message) from None


def _mobile_or_kept(form, field) -> None:
    """A new mobile, or the stored one as the form showed it (masked), sent back untouched."""
    if field.data and field.data == getattr(form, "kept_mobile", None):
        return
    _mobile(form, field)


def _plausible_date(form, field) -> None:
    """A training date in 2000–2100: far dates would overflow the class-hour windows."""
    if field.data and not 2000 <= field.data.year <= 2100:
        raise ValidationError("日期应在2000年至2100年之间")


def _text(label: str, max_length: int, required: bool = False, default: str = "") -> StringField:
    first = DataRequired(REQUIRED) if required else Optional()
    return StringField(
        label,
        [first, Length(max=max_length, message=f"不能超过{max_length}个字")],
        filters=[lambda v: v.strip() if isinstance(v, str) else v],
        default=default,
    )


class EnterpriseForm(FlaskForm):
    """附件1 一、企业基本情况."""

    name = _text("企业名称", 200, required=True)
    credit_code = _text("统一社会信用代码", 32, required=True)
    override_reason = TextAreaField(
        "校验位不符时的接受理由（仅平台运营人员）", [Optional(), Length(max=500)]
    )
    registered_address = _text("注册地址", 300)
    legal_representative = _text("法定代表人", 100)
    contact_phone = _text("联系电话", 32)
    received_affected_subsidy = BooleanField("已享受受疫情影响企业培训补贴")


class InstitutionForm(Form):
    """附件1 二、培训机构情况 (optional: an enterprise may train by itself)."""

    name = _text("培训机构名称", 200)
    credit_code = _text("统一社会信用代码", 32)
    override_reason = TextAreaField(
        "校验位不符时的接受理由（仅平台运营人员）", [Optional(), Length(max=500)]
    )
    registered_address = _text("注册地址", 300)
    person_in_charge = _text("负责人", 100)
    phone = _text("联系电话", 32)

    def validate_credit_code(self, field) -> None:
        """A named institution needs its code."""
        if self.name.data and not field.data:
            raise ValidationError("填写了培训机构时，统一社会信用代码为必填项")


class PlatformForm(Form):
    """附件1 三、线上培训平台情况."""

    name = _text("平台名称", 200)
    icp_number = _text("ICP 备案号", 64)
    url_or_package = _text("网址或小程序/App 名称", 300)
    ip_address = _text("服务器 IP 地址", 64)
    server_city = _text("服务器所在城市", 100)


class PlanRowForm(Form):
    """附件1 五、线上培训计划 (one row); a fully blank row is ignored."""

    resource_name = _text("资源名称", 200)
    key_content = _text("主要内容", 1000)
    resource_form = SelectField("资源形式", choices=choices(RESOURCE_FORMS), default="video")
    duration_minutes = IntegerField(
        "时长（分钟）",
        [Optional(), NumberRange(min=1, max=100000, message="时长应为正整数分钟")],
    )

    def is_blank(self) -> bool:
        """Whether the admin left the row empty."""
        return not (self.resource_name.data or self.key_content.data or self.duration_minutes.data)

    def validate(self, extra_validators=None) -> bool:
        """A row with any content needs a name and a duration (blank fields stop at Optional)."""
        ok = super().validate(extra_validators)
        if self.is_blank():
            return ok
        for field, message in (
            (self.resource_name, "请填写资源名称"),
            (self.duration_minutes, "请填写时长"),
        ):
            if not field.data and not field.errors:
                field.errors = [*field.errors, message]
                ok = False
        return ok


class ProjectForm(FlaskForm):
    """附件1 四、培训项目情况, with the institution, platform and course plan."""

    enterprise_id = SelectField("企业", coerce=int)
    name = _text("项目名称", 200, required=True)
    post_trade = _text("培训岗位（工种）", 100, required=True)
    training_type = SelectField("培训类型", choices=choices(TRAINING_TYPES))
    planned_headcount = IntegerField(
        "计划培训人数",
        [DataRequired(REQUIRED), NumberRange(min=1, max=1_000_000, message="应为1至1000000的整数")],
    )
    method = _text("培训方式", 100, required=True, default="线上培训")
    start_date = DateField(
        "培训开始日期", [DataRequired("请填写日期（年-月-日）"), _plausible_date]
    )
    end_date = DateField("培训结束日期", [DataRequired("请填写日期（年-月-日）"), _plausible_date])
    planned_class_hours = IntegerField(
        "培训课时", [DataRequired(REQUIRED), NumberRange(min=1, max=1000, message="应为正整数")]
    )
    person_in_charge = _text("项目负责人", 100, required=True)
    # On an edit, ``kept_mobile`` is the stored mobile as shown (masked): sent back, it is kept.
    person_mobile = StringField("负责人手机号码", [DataRequired(REQUIRED), _mobile_or_kept])
    kept_mobile: str | None = None
    goal = TextAreaField("培训目标", [Optional(), Length(max=2000)], default="")
    face_check_at_check_in = SelectField(
        "签到时人脸核身",
        choices=choices(FACE_CHECK_AT),
        default="",
    )
    face_check_interval_minutes = IntegerField(
        "学习中随机人脸核身（约每隔多少分钟，0 为不抽查，留空按政策默认）",
        [Optional(), NumberRange(min=0, max=1440, message="应为0至1440的整数")],
    )
    attention_checks_enabled = BooleanField("学习中随机弹题", default=True)
    attention_check_interval_minutes = IntegerField(
        "随机弹题约每隔多少分钟（留空按政策默认）",
        [Optional(), NumberRange(min=5, max=240, message="应为5至240的整数")],
    )
    assessment_required = BooleanField("须通过考核（未通过者不计入补贴申领）")
    sequential = BooleanField("课节须按顺序学习")
    institution = FormField(InstitutionForm)
    platform = FormField(PlatformForm)
    plan_rows = FieldList(FormField(PlanRowForm), min_entries=1, max_entries=60)

    def validate_end_date(self, field) -> None:
        """The training cannot end before it starts."""
        if field.data and self.start_date.data and field.data < self.start_date.data:
            raise ValidationError("结束日期不能早于开始日期")

    def service_data(self) -> dict:
        """The cleaned values as the filing service takes them."""
        data = {key: value for key, value in self.data.items() if key != "csrf_token"}
        data["plan_rows"] = [e.form.data for e in self.plan_rows.entries if not e.form.is_blank()]
        return data


class ReviewForm(FlaskForm):
    """A reviewer's decision on a filing."""

    decision = SelectField(
        "审核结果", choices=choices([("approved", "通过"), ("returned", "退回")])
    )
    comment = TextAreaField("审核意见（退回时必填）", [Optional(), Length(max=2000)], default="")


class ActionForm(FlaskForm):
    """A button that changes something: only the CSRF token."""
