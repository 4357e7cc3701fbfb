"""Binding rules that HTTP tests cannot provoke on demand: races and code handling."""

import pytest
from sqlalchemy import update

from backend.extensions import db
from backend.kernel.errors import DomainError
from backend.models import Role, Trainee
from backend.services.accounts import binding


def test_concurrent_bind_of_the_same_account_loses_with_409(app, make):
    trainee = make.trainee()
    make.session.commit()
    assert trainee.wx_openid is None  # loaded: this session believes the account is free
    # Another worker binds it meanwhile, on its own connection.
    with db.engine.begin() as conn:
        conn.execute(update(Trainee).where(Trainee.id == trainee.id).values(wx_openid="oOther"))
    with pytest.raises(DomainError) as info:
        binding.bind_wechat(
            trainee, "oMine", None, method="phone_code", client_address="192.0.2.10"
        )
    assert info.value.code == "account_already_bound"


def test_wechat_bound_elsewhere_is_409(app, make):
    first, second = make.trainee(), make.trainee()
    make.session.commit()
    with db.engine.begin() as conn:
        conn.execute(update(Trainee).where(Trainee.id == first.id).values(wx_openid="oSame"))
    with pytest.raises(DomainError) as info:
        binding.bind_wechat(second, "oSame", None, method="phone_code", client_address="192.0.2.10")
    assert info.value.code == "wechat_already_bound"


def test_activation_code_is_spent_once(app, make):
    trainee = make.trainee()
    admin = make.admin(Role.OPERATOR)
    code, _ = binding.issue_activation_code(trainee, admin, client_address="192.0.2.10")
    assert binding.use_activation_code(trainee, code)
    assert not binding.use_activation_code(trainee, code)


def test_code_format_and_normalization(app, make):
    code, _ = binding.issue_activation_code(
        make.trainee(), make.admin(Role.OPERATOR), client_address="192.0.2.10"
    )
    groups = code.split("-")
    assert [len(g) for g in groups] == [4, 4, 4]
    assert set("".join(groups)) <= set(binding.CODE_ALPHABET)
    assert binding.normalize_code(" ab-cd efgh\tjkmn ") == "ABCDEFGHJKMN"
    assert binding.format_code("ABCDEFGHJKMN") == "ABCD-EFGH-JKMN"


def test_empty_code_never_matches(app, make):
    trainee = make.trainee()
    binding.issue_activation_code(trainee, make.admin(Role.OPERATOR), client_address="192.0.2.10")
    assert not binding.use_activation_code(trainee, "--- ")
