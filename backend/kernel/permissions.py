"""One table of roles × permissions: the only place a role is mapped to what it may do."""

from __future__ import annotations

import enum

from backend.models import AdminUser, Role


class Permission(enum.StrEnum):
    """Something an admin can do; views, templates and the OpenAPI document name these."""

    VIEW_PROJECT = "view_project"  # dashboards, trainee table, filing data, exports (masked)
    EDIT_PROJECT = "edit_project"  # create/edit a project and its filing (附件1), submit it
    CLOSE_PROJECT = "close_project"
    IMPORT_ROSTER = "import_roster"  # roster import, enrol, withdraw
    MANAGE_TRAINEES = "manage_trainees"  # edit, deactivate, unbind WeChat, activation codes
    EDIT_ID_NUMBER = "edit_id_number"  # change a trainee's ID number (with a reason)
    ERASE_PERSON = "erase_person"  # PIPL erasure after the retention period
    REVEAL_PII = "reveal_pii"  # a full ID number or mobile (exports: of one's own enterprise only)
    MANAGE_CONTENT = "manage_content"  # courses, lessons, media, question banks, quizzes
    ANSWER_SUPPORT = "answer_support"
    VIEW_SUPPORT = "view_support"
    REVIEW_FILING = "review_filing"  # approve or return a filing
    REVIEW_CLAIM = "review_claim"  # approve or return a subsidy claim
    SUBMIT_CLAIM = "submit_claim"
    VIEW_ENTERPRISES = "view_enterprises"
    CREATE_ENTERPRISE = "create_enterprise"
    EDIT_ENTERPRISE = "edit_enterprise"
    OVERRIDE_CHECKSUM = "override_checksum"  # accept a credit code / ID with a bad check digit
    OVERRIDE_REGION = "override_region"
    MANAGE_ADMINS = "manage_admins"  # create, disable, reset passwords of admin accounts
    MANAGE_API_KEYS = "manage_api_keys"  # supervision API keys of bureaus
    VIEW_AUDIT_LOG = "view_audit_log"
    VIEW_INTEGRITY = "view_integrity"  # integrity flags and their evidence
    VIEW_CERTIFICATES = "view_certificates"  # a closed project's certificates, their PDFs
    ISSUE_CERTIFICATE = "issue_certificate"  # issue one by hand (with a reason), or re-issue
    REVOKE_CERTIFICATE = "revoke_certificate"


P = Permission

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.OPERATOR: frozenset(Permission) - {P.REVIEW_FILING, P.REVIEW_CLAIM},
    Role.ENTERPRISE_ADMIN: frozenset(
        {
            P.VIEW_PROJECT,
            P.EDIT_PROJECT,
            P.CLOSE_PROJECT,
            P.IMPORT_ROSTER,
            P.MANAGE_TRAINEES,
            P.REVEAL_PII,
            P.MANAGE_CONTENT,
            P.ANSWER_SUPPORT,
            P.VIEW_SUPPORT,
            P.SUBMIT_CLAIM,
            P.VIEW_ENTERPRISES,
            P.EDIT_ENTERPRISE,
            P.VIEW_INTEGRITY,
            P.VIEW_CERTIFICATES,
            P.ISSUE_CERTIFICATE,
            P.REVOKE_CERTIFICATE,
        }
    ),
    Role.REVIEWER: frozenset(
        {
            P.VIEW_PROJECT,
            P.VIEW_SUPPORT,
            P.REVIEW_FILING,
            P.REVIEW_CLAIM,
            P.VIEW_ENTERPRISES,
            P.VIEW_INTEGRITY,
            P.VIEW_CERTIFICATES,
        }
    ),
}


# Roles an operator creates in the web; operators themselves come from the command line.
CREATABLE_ROLES = (Role.ENTERPRISE_ADMIN, Role.REVIEWER)
# Roles whose accounts belong to one enterprise (the others see every enterprise of their cities).
ENTERPRISE_ROLES = frozenset({Role.ENTERPRISE_ADMIN})


def creatable(role: Role) -> bool:
    """Whether an operator may create an account of this role in the web."""
    return role in CREATABLE_ROLES


def belongs_to_an_enterprise(role: Role) -> bool:
    """Whether an account of this role must belong to one enterprise."""
    return role in ENTERPRISE_ROLES


def can(actor: AdminUser | None, permission: Permission) -> bool:
    """Whether ``actor`` holds ``permission`` (False when signed out or disabled)."""
    if actor is None or not actor.active:
        return False
    return permission in ROLE_PERMISSIONS.get(actor.role, frozenset())


def sees_all_enterprises(actor: AdminUser) -> bool:
    """Whether the actor's role is bound to no single enterprise (operators and reviewers)."""
    return actor.enterprise_id is None
