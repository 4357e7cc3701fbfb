"""The per-project hash chain over credited spans: it verifies, and an edited span is caught."""

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from backend.extensions import db
from backend.models import CreditedSpan, RecordChainHead
from backend.services.learning import record_chain
from tests.learning_driver import Learner, drain, enrolled

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
T1 = T0 + timedelta(minutes=5)


def _learn(client, make, frozen_clock, sessions=3):
    project, lesson, trainee = enrolled(make, duration_s=5 * 3600, attention_checks_enabled=False)
    me = Learner(client, make, trainee)
    for _ in range(sessions):
        me.check_in(lesson)
        me.play(1000)  # two spans a session (15 minutes at most each), drained in batches
        me.end()
        frozen_clock.advance(60)
    drain()
    return project


def _verify(app, project_id):
    result = app.test_cli_runner().invoke(args=["verify-records", str(project_id)])
    return result.exit_code, result.output


def test_the_chain_verifies_and_an_edited_span_is_caught(app, client, make, frozen_clock):
    project = _learn(client, make, frozen_clock)
    spans = db.session.scalars(
        sa.select(CreditedSpan)
        .where(CreditedSpan.project_id == project.id)
        .order_by(CreditedSpan.id)
    ).all()
    assert len(spans) >= 4 and all(span.chain_hash for span in spans)
    head = db.session.get(RecordChainHead, project.id)
    assert (head.span_count, head.head_hash) == (len(spans), spans[-1].chain_hash)
    code, output = _verify(app, project.id)
    assert code == 0, output
    assert f"{len(spans)} 条计入时段" in output and head.head_hash in output
    # Someone stretches one span by a minute, straight in the database.
    victim = spans[1]
    db.session.execute(
        sa.update(CreditedSpan)
        .where(CreditedSpan.id == victim.id)
        .values(
            seconds=CreditedSpan.seconds + 60,
            end_at=victim.end_at + timedelta(seconds=60),
        )
    )
    db.session.commit()
    code, output = _verify(app, project.id)
    assert code == 1
    assert f"#{victim.id}" in output and "前 1 条完好" in output
    verdict = record_chain.verify(project.id)
    assert (verdict.ok, verdict.broken_span_id, verdict.checked) == (False, victim.id, 1)


def test_a_deleted_last_span_is_caught_by_the_head(app, client, make, frozen_clock):
    project = _learn(client, make, frozen_clock, sessions=2)
    last = db.session.scalar(
        sa.select(CreditedSpan)
        .where(CreditedSpan.project_id == project.id)
        .order_by(CreditedSpan.id.desc())
        .limit(1)
    )
    db.session.execute(sa.delete(CreditedSpan).where(CreditedSpan.id == last.id))
    db.session.commit()
    code, output = _verify(app, project.id)
    assert code == 1 and "链头不符" in output


def test_each_project_has_its_own_chain(app, client, make, frozen_clock):
    first = _learn(client, make, frozen_clock, sessions=1)
    second = _learn(client, make, frozen_clock, sessions=1)
    assert record_chain.verify(first.id).ok and record_chain.verify(second.id).ok
    assert record_chain.head_digest(first.id) != record_chain.head_digest(second.id)
    assert _verify(app, 999999)[0] != 0


def test_a_batch_writer_chains_spans_of_several_projects(make):
    # As a writer of spans from many sessions does: lock the heads first, insert, then chain.
    first_project, lesson_a, trainee_a = enrolled(make)
    second_project, lesson_b, trainee_b = enrolled(make)
    heads = record_chain.lock_heads([second_project.id, first_project.id, first_project.id])
    assert list(heads) == [first_project.id, second_project.id]
    spans = {
        first_project.id: [make.credited_span(trainee_a, lesson_a, T, 60) for T in (T0, T1)],
        second_project.id: [make.credited_span(trainee_b, lesson_b, T0, 60)],
    }
    for project_id, written in spans.items():
        record_chain.append(heads[project_id], written)
    make.session.commit()
    assert record_chain.verify(first_project.id).checked == 2
    assert record_chain.verify(second_project.id).ok
