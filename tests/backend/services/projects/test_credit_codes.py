"""Only a platform operator may accept a credit code whose checksum fails, with a reason."""

import pytest
from sqlalchemy import select

from backend.kernel.errors import DomainError
from backend.models import AuditLog, Role
from backend.services.projects.credit_codes import set_credit_code

VALID = "914403001922038216"
BAD_CHECKSUM = "914403001922038217"


def test_valid_code_is_accepted_without_reason(app, make):
    enterprise = make.enterprise()
    set_credit_code(
        enterprise, VALID.lower(), actor=make.admin(Role.OPERATOR), client_address="192.0.2.10"
    )
    assert enterprise.credit_code == VALID
    assert enterprise.credit_code_override_reason is None


def test_bad_format_is_refused_even_for_operator(app, make):
    enterprise = make.enterprise()
    with pytest.raises(DomainError) as err:
        set_credit_code(
            enterprise,
            "91440300192203821I",
            actor=make.admin(),
            override_reason="x",
            client_address="192.0.2.10",
        )
    assert err.value.code == "credit_code_format"


@pytest.mark.parametrize("role", [Role.ENTERPRISE_ADMIN, Role.REVIEWER])
def test_checksum_override_refused_for_non_operators(app, make, role):
    enterprise = make.enterprise()
    admin = make.admin(role, enterprise=enterprise if role is Role.ENTERPRISE_ADMIN else None)
    with pytest.raises(DomainError) as err:
        set_credit_code(
            enterprise,
            BAD_CHECKSUM,
            actor=admin,
            override_reason="试点地区早期代码",
            client_address="192.0.2.10",
        )
    assert err.value.status == 403
    assert enterprise.credit_code != BAD_CHECKSUM


def test_checksum_override_needs_a_reason(app, make):
    enterprise = make.enterprise()
    with pytest.raises(DomainError) as err:
        set_credit_code(
            enterprise,
            BAD_CHECKSUM,
            actor=make.admin(),
            override_reason="  ",
            client_address="192.0.2.10",
        )
    assert err.value.code == "credit_code_checksum"


def test_operator_override_is_recorded(app, make):
    enterprise = make.enterprise()
    operator = make.admin(Role.OPERATOR)
    set_credit_code(
        enterprise,
        BAD_CHECKSUM,
        actor=operator,
        override_reason="试点地区早期代码",
        client_address="192.0.2.10",
    )
    make.session.commit()
    assert enterprise.credit_code == BAD_CHECKSUM
    assert enterprise.credit_code_override_reason == "试点地区早期代码"
    entry = make.session.scalar(select(AuditLog).where(AuditLog.action == "credit_code.override"))
    assert entry.actor_id == operator.id and entry.detail["reason"] == "试点地区早期代码"


def test_override_on_a_new_enterprise_names_it_in_the_audit_log(app, make):
    from backend.models import Enterprise

    enterprise = Enterprise(name="新企业")
    operator = make.admin(Role.OPERATOR)
    set_credit_code(
        enterprise,
        BAD_CHECKSUM,
        actor=operator,
        override_reason="试点代码",
        client_address="192.0.2.10",
    )
    assert enterprise.id is not None
    entry = make.session.scalar(select(AuditLog).where(AuditLog.action == "credit_code.override"))
    assert entry.object_id == enterprise.id and entry.enterprise_id == enterprise.id
