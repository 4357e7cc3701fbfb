"""Issue 25.10: the person in charge's mobile is masked on every screen and each full read is
audit-logged: the project's edit form, its filing page, the 附件1 export, the supervision API."""

from __future__ import annotations

import io

from openpyxl import load_workbook
from sqlalchemy import select

from backend import pii_fields
from backend.models import AuditLog, Role
from tests.backend.admin.pages import world as w
from tests.backend.admin.pages.test_projects import _project_form

FULL, MASKED = "13900139000", "139****9000"
API = "/api/supervision/v1"


def _reveals(make) -> list[AuditLog]:
    make.session.expire_all()
    query = select(AuditLog).where(AuditLog.action == "pii.reveal_mobile")
    return make.session.scalars(query.order_by(AuditLog.id)).all()


def _world(make):
    world = w.build(make)
    world.draft.person_mobile = FULL
    make.session.commit()
    return world


def _stored(make, project) -> str:
    make.session.refresh(project)
    return pii_fields.opened(project.person_mobile_enc)


def test_the_edit_form_shows_the_mobile_masked_and_keeps_it_when_untouched(
    client, make, admin_login
):
    world = _world(make)
    token = w.sign_in("hr_a", world, make, admin_login, client)
    url = f"/admin/projects/{world.draft.id}/edit"
    page = client.get(url).get_data(as_text=True)
    assert f'value="{MASKED}"' in page and FULL not in page
    assert client.post(url, data=_project_form(token, person_mobile=MASKED)).status_code == 302
    assert _stored(make, world.draft) == FULL
    # A mask that is not the stored one is no mobile.
    response = client.post(url, data=_project_form(token, person_mobile="138****9000"))
    assert response.status_code == 422
    assert 'id="person_mobile-error">手机号码格式不正确' in response.get_data(as_text=True)
    changed = client.post(url, data=_project_form(token, person_mobile="13800138000"))
    assert changed.status_code == 302
    assert _stored(make, world.draft) == "13800138000"
    assert _reveals(make) == []


def _filing_xlsx(client, project_id: int) -> tuple[str, object]:
    response = client.get(f"/admin/projects/{project_id}/exports/filing.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    response.close()
    cells = {row[2].value: row[3].value for row in sheet.iter_rows()}
    return cells["联系手机"]


def test_the_filing_page_masks_and_the_enterprises_own_export_reveals_audit_logged(
    client, make, admin_login, app
):
    world = _world(make)
    token = w.sign_in("hr_a", world, make, admin_login, client)
    submitted = client.post(f"/admin/projects/{world.draft.id}/submit", data={"csrf_token": token})
    assert submitted.status_code == 302
    page = client.get(f"/admin/projects/{world.draft.id}/filing").get_data(as_text=True)
    assert MASKED in page and FULL not in page
    assert _reveals(make) == []
    # The enterprise files 附件1 with the bureau: its own admin gets the number in full.
    assert _filing_xlsx(client, world.draft.id) == FULL
    [entry] = _reveals(make)
    assert (entry.object_type, entry.object_id) == ("project", world.draft.id)
    assert entry.detail["purpose"] == f"附件1备案表导出（项目 {world.draft.id}）"
    export = make.session.scalar(select(AuditLog).where(AuditLog.action == "export.filing"))
    assert export.detail["full_numbers"] is True
    # Anyone else (here a reviewer) gets it masked, and nothing is revealed.
    reviewer = app.test_client()
    w.sign_in_other(reviewer, make, "reviewer")
    assert _filing_xlsx(reviewer, world.draft.id) == MASKED
    assert len(_reveals(make)) == 1


def _key(client, make, admin_login, city: str, **body) -> dict:
    csrf = admin_login(make.admin(Role.OPERATOR))
    body = {"bureau": "某市人社局", "cities": [city], **body}
    response = client.post("/api/admin/bureau-keys", json=body, headers={"X-CSRFToken": csrf})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def _filed_mobile(client, issued: dict, project_id: int) -> dict:
    headers = {"Authorization": f"Bearer {issued['key']}"}
    items = client.get(f"{API}/filings", headers=headers).get_json()["items"]
    [filed] = [item for item in items if item["id"] == project_id]
    return filed["filing"]["project"]


def test_supervision_reads_the_filed_mobile_as_its_key_allows_audit_logged(
    client, make, admin_login, app
):
    world = _world(make)
    token = w.sign_in("hr_a", world, make, admin_login, client)
    submitted = client.post(f"/admin/projects/{world.draft.id}/submit", data={"csrf_token": token})
    assert submitted.status_code == 302
    city = world.a.city_code
    masked = _filed_mobile(app.test_client(), _key(client, make, admin_login, city), world.draft.id)
    assert masked["person_mobile"] == MASKED and "person_mobile_enc" not in masked
    assert _reveals(make) == []
    issued = _key(client, make, admin_login, city, full_numbers=True)
    full = _filed_mobile(app.test_client(), issued, world.draft.id)
    assert full["person_mobile"] == FULL and "person_mobile_enc" not in full
    [entry] = _reveals(make)
    assert (entry.actor_kind, entry.actor_id) == ("bureau_key", issued["id"])
    assert (entry.object_type, entry.object_id) == ("project", world.draft.id)
