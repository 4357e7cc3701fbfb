"""The claim snapshot: each enrolled trainee's figures frozen at close, who qualifies and why
not, the yearly cap allocations, and the digest printed on every page of the claim package."""

from __future__ import annotations

import hashlib
import json

import sqlalchemy as sa

from backend.extensions import db
from backend.models import (
    AdminUser,
    Claim,
    ClaimAllocation,
    ClaimEvent,
    ClaimLine,
    Enrolment,
    Project,
    Trainee,
)
from backend.policy import SubsidyPolicy
from backend.services.hours.closing import closing_figures
from backend.services.learning import face_checks
from backend.services.practice.assessment import (
    NO_ASSESSMENT,
    assessment_requirement_met_by_trainee,
    assessment_results,
)

# Why a trainee does not qualify, in the order they are checked; the first that applies is shown.
REASONS = {
    "withdrawn": "已退出",
    "affected_subsidy": "企业已领取受影响企业培训补助",
    "assessment_not_passed": "考核未通过",
    "no_class_hour": "无课时",
}
ROSTER_ORDER = (Trainee.roster_seq, Trainee.id)


def withdrawn_trainees(project: Project) -> set[int]:
    """Trainees whose enrolment in the project was withdrawn (已退出)."""
    query = sa.select(Enrolment.trainee_id).where(
        Enrolment.project_id == project.id, Enrolment.withdrawn_at.is_not(None)
    )
    return set(db.session.scalars(query))


def received_affected_subsidy(project: Project) -> bool:
    """The filing's 是否已领取受影响企业培训补助 answer (as submitted, else the live one)."""
    snapshot = (project.filing_snapshot or {}).get("enterprise") or {}
    if "received_affected_subsidy" in snapshot:
        return bool(snapshot["received_affected_subsidy"])
    return bool(project.enterprise.received_affected_subsidy)


def _roster(project: Project) -> list[tuple[int, str, str]]:
    query = (
        sa.select(Trainee.id, Trainee.name, Trainee.id_number_hash)
        .join(Enrolment, Enrolment.trainee_id == Trainee.id)
        .where(Enrolment.project_id == project.id)
        .order_by(*ROSTER_ORDER)
    )
    return [tuple(row) for row in db.session.execute(query)]


def lock_persons(hashes: set[str]) -> None:
    """Lock every trainee row of these people (all enterprises), in id order.

    Two projects sharing a person close one after the other: the second reads the first's
    allocations once it has the lock (READ COMMITTED reads each statement afresh)."""
    if hashes:
        db.session.execute(
            sa.select(Trainee.id)
            .where(Trainee.id_number_hash.in_(sorted(hashes)))
            .order_by(Trainee.id)
            .with_for_update()
        )


def freeze(
    project: Project, policy: SubsidyPolicy, actor: AdminUser, reason: str | None, at
) -> Claim:
    """Write the project's claim: one frozen line per enrolled trainee and its allocations."""
    roster = _roster(project)
    lock_persons({person for _, _, person in roster})
    withdrawn = withdrawn_trainees(project)
    affected = received_affected_subsidy(project)
    barred = affected and policy.claim_barred_by_affected_subsidy
    results = assessment_results(project.id)
    met = (
        assessment_requirement_met_by_trainee(project.id)
        if policy.claim_only_passed_when_assessment_required
        else {}
    )
    first_reason: dict[int, str] = {}
    for trainee_id, _, _ in roster:
        if trainee_id in withdrawn:
            first_reason[trainee_id] = "withdrawn"
        elif barred:
            first_reason[trainee_id] = "affected_subsidy"
        elif not met.get(trainee_id, True):
            first_reason[trainee_id] = "assessment_not_passed"
    persons = {trainee_id: person for trainee_id, _, person in roster}
    counted = set(persons) - set(first_reason)
    figures = closing_figures(project, persons, counted, policy)
    faces = face_checks.coverage_percent(project.id)

    claim = Claim(
        project_id=project.id,
        closed_at=at,
        closed_by_id=actor.id,
        close_reason=reason,
        policy_id=policy.id,
        received_affected_subsidy=affected,
        digest="",
    )
    db.session.add(claim)
    db.session.flush()
    for seq, (trainee_id, name, person) in enumerate(roster, start=1):
        line_figures = figures[trainee_id]
        why = first_reason.get(trainee_id)
        if why is None and line_figures.class_hours == 0:
            why = "no_class_hour"
        line = ClaimLine(
            claim=claim,
            trainee_id=trainee_id,
            seq=seq,
            name=name,
            credited_s=line_figures.credited_s,
            class_hours=line_figures.class_hours,
            subsidizable_hours=line_figures.subsidizable_hours,
            subsidy_fen=line_figures.subsidy_fen,
            assessment=results.get(trainee_id, NO_ASSESSMENT),
            qualifies=why is None,
            reason=why,
            face_check_percent=faces.get(trainee_id),
        )
        db.session.add(line)
        if why is None:
            db.session.flush()
            for year in line_figures.years:
                db.session.add(
                    ClaimAllocation(
                        claim_id=claim.id,
                        line_id=line.id,
                        id_number_hash=person,
                        year=year.year,
                        class_hours=year.class_hours,
                        subsidizable_hours=year.subsidizable_hours,
                        subsidy_fen=year.subsidy_fen,
                    )
                )
    db.session.add(
        ClaimEvent(claim_id=claim.id, action="close", actor_id=actor.id, at=at, comment=reason)
    )
    db.session.flush()
    claim.digest = digest(claim)
    return claim


def allocations_of(claim: Claim) -> list[ClaimAllocation]:
    """The claim's cap allocations, line by line and year by year."""
    query = (
        sa.select(ClaimAllocation)
        .where(ClaimAllocation.claim_id == claim.id)
        .order_by(ClaimAllocation.line_id, ClaimAllocation.year)
    )
    return list(db.session.scalars(query))


def canonical(claim: Claim) -> dict:
    """The frozen figures as plain data, in a fixed order: what the digest covers."""
    return {
        "project_id": claim.project_id,
        "closed_at": claim.closed_at.isoformat(),
        "policy_id": claim.policy_id,
        "received_affected_subsidy": claim.received_affected_subsidy,
        "lines": [
            [
                line.seq,
                line.trainee_id,
                line.name,
                line.credited_s,
                line.class_hours,
                line.subsidizable_hours,
                line.subsidy_fen,
                line.assessment,
                line.qualifies,
                line.reason,
                line.face_check_percent,
            ]
            for line in claim.lines
        ],
        "allocations": [
            [
                a.line_id,
                a.id_number_hash,
                a.year,
                a.class_hours,
                a.subsidizable_hours,
                a.subsidy_fen,
            ]
            for a in allocations_of(claim)
        ],
    }


def digest(claim: Claim) -> str:
    """SHA-256 (hex) of the canonical JSON of the frozen figures."""
    text = json.dumps(canonical(claim), ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
