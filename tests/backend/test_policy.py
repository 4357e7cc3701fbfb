"""Each project keeps the policy chosen at its creation; a policy file states only differences."""

import json
import shutil

import pytest

from backend.models import ProjectStatus
from backend.policy import POLICY_DIR, default_policy, get_policy, load_policy, policy_for
from backend.services.projects import filing
from tests.learning_driver import Learner, enrolled


@pytest.fixture
def policy_dir(tmp_path):
    shutil.copy(POLICY_DIR / "guangdong_2020.json", tmp_path)
    # A city paying 40 元 for 40-minute class hours: nothing else is stated.
    (tmp_path / "shenzhen_test.json").write_text(
        json.dumps({"title": "深圳", "minutes_per_class_hour": 40, "fen_per_class_hour": 4000})
    )
    (tmp_path / "typo.json").write_text(json.dumps({"fen_per_hour": 1}))
    return tmp_path


@pytest.fixture
def app_config(app_config, policy_dir):
    return {**app_config, "SUBSIDY_POLICY_DIR": str(policy_dir)}


def test_a_policy_file_states_only_what_differs_from_the_default(app):
    city = get_policy("shenzhen_test")
    base = default_policy()
    assert (city.id, city.minutes_per_class_hour, city.fen_per_class_hour) == (
        "shenzhen_test",
        40,
        4000,
    )
    assert city.heartbeat_interval_s == base.heartbeat_interval_s
    assert city.yearly_cap_fen_per_trainee == base.yearly_cap_fen_per_trainee


def test_an_unknown_key_or_a_missing_file_is_refused(app, policy_dir):
    with pytest.raises(ValueError, match="fen_per_hour"):
        load_policy("typo", "guangdong_2020", policy_dir)
    with pytest.raises(ValueError, match="lacks"):
        load_policy("shenzhen_test", None, policy_dir)
    with pytest.raises(FileNotFoundError):
        load_policy("../guangdong_2020", None, policy_dir / "sub")


def test_a_new_project_records_the_deployment_default(app, make):
    project = make.project()
    assert project.policy_id == "guangdong_2020"
    assert policy_for(project) == default_policy()


def test_each_project_counts_class_hours_by_its_own_policy(client, make, frozen_clock):
    project, lesson, trainee = enrolled(make, attention_checks_enabled=False)
    project.policy_id = "shenzhen_test"
    make.session.commit()
    me = Learner(client, make, trainee)
    me.check_in(lesson)
    me.play(2400)
    me.end()
    hours = me.hours()
    assert hours["projects"][0]["class_hours"] == 1
    assert hours["years"] == [{"year": 2026, "class_hours": 1, "subsidy_fen": 4000}]


def test_the_filing_snapshot_freezes_the_policy(app, make):
    project = make.project(status=ProjectStatus.DRAFT)
    make.teaching(project)
    operator = make.admin()
    filing.submit_for_filing(project, operator, client_address="192.0.2.10")
    assert project.filing_snapshot["policy_id"] == "guangdong_2020"
    project.policy_id = "shenzhen_test"
    assert policy_for(project).id == "guangdong_2020"
