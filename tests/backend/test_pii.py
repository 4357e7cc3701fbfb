"""Personal data is encrypted at rest and found by its blind index."""

from sqlalchemy import select, text

from backend import audit, pii
from backend.models import AuditLog, Trainee

ID = "11010519491231002X"
MOBILE = "13800138000"


def test_id_number_and_mobile_never_stored_in_plain_text(app, make):
    trainee = make.trainee(id_number=ID, mobile=MOBILE, gender="female")
    make.session.commit()
    dump = make.session.execute(text("SELECT * FROM trainee")).all()
    row_text = repr(dump)
    assert ID not in row_text and ID.lower() not in row_text
    assert MOBILE not in row_text
    assert pii.masked_id_number(trainee) == "110105********002X"
    assert pii.masked_mobile(trainee) == "138****8000"
    # Exact lookup by keyed hash works without decrypting anything.
    found = make.session.scalar(
        select(Trainee).where(Trainee.id_number_hash == pii.blind_index(ID))
    )
    assert found.id == trainee.id


def test_reveal_is_audit_logged(app, make):
    trainee = make.trainee(id_number=ID, mobile=MOBILE, gender="female")
    admin = make.admin()
    reader = audit.admin(admin, "198.51.100.7")
    assert pii.reveal_id_number(trainee, reader, purpose="filing") == ID
    assert pii.reveal_mobile(trainee, reader, purpose="call") == MOBILE
    make.session.commit()
    entries = make.session.scalars(select(AuditLog).order_by(AuditLog.id)).all()
    assert [e.action for e in entries] == ["pii.reveal_id_number", "pii.reveal_mobile"]
    assert entries[0].actor_id == admin.id and entries[0].object_id == trainee.id
    assert {(e.actor_kind, e.ip) for e in entries} == {("admin", "198.51.100.7")}
    assert entries[0].detail == {"purpose": "filing"}
    assert ID not in repr([e.detail for e in entries])
