"""Validate parsed roster rows: every field, duplicates in the file and on the platform."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field

from sqlalchemy import select

from backend import pii
from backend.crypto import mask_mobile
from backend.extensions import db
from backend.models import Trainee
from backend.services.plain_text import storable
from backend.services.roster.parse import KEY_TO_HEADER, ParsedSheet, RawRow
from backend.validation import (
    InvalidValue,
    normalize_gender,
    validate_account,
    validate_mobile,
    validate_resident_id,
)

NAME_MAX = 100
LOOKUP_CHUNK = 500


@dataclass(frozen=True)
class RowError:
    """A problem with one cell (or the whole file when ``row`` is None)."""

    row: int | None
    column: str | None
    message: str


@dataclass
class CleanRow:
    """A validated roster line, ready to become a trainee."""

    row: int
    name: str
    gender: str
    id_number: str
    mobile: str
    account: str
    existing_id: int | None = None  # already on this enterprise's roster: enrol, do not create


@dataclass(frozen=True)
class Difference:
    """Where the file differs from the record of a person already on the roster (masked)."""

    row: int
    trainee_id: int
    column: str
    current: str
    incoming: str


@dataclass
class Checked:
    """The outcome of checking a file: clean rows, or errors (then nothing is imported)."""

    rows: list[CleanRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    elsewhere: int = 0  # people already on the platform under another enterprise (allowed)
    differences: list[Difference] = field(default_factory=list)

    @property
    def existing(self) -> int:
        """Rows that are people already on the enterprise's roster."""
        return sum(1 for row in self.rows if row.existing_id is not None)

    @property
    def ok(self) -> bool:
        """Whether the whole file is clean."""
        return not self.errors and bool(self.rows)


def check_sheet(parsed: ParsedSheet, enterprise_id: int) -> Checked:
    """Validate every row of a parsed sheet against the rules and the platform's data."""
    checked = Checked()
    if parsed.problems:
        checked.errors = [RowError(parsed.header_row, None, p) for p in parsed.problems]
        return checked
    faulty: set[int] = set()
    for raw in parsed.rows:
        row, errors = _check_row(raw)
        checked.errors += errors
        checked.rows.append(row)
        if errors:
            faulty.add(row.row)
    # Rows with a bad field are still checked for duplicates with what is valid in them, so
    # the first preview lists every problem of every row (no second round after a fix).
    _check_duplicates_in_file(checked)
    _check_platform(checked, enterprise_id)
    checked.rows = [row for row in checked.rows if row.row not in faulty]
    checked.errors.sort(key=lambda e: (e.row or 0, _column_order(e.column)))
    return checked


def recheck_platform(rows: list[CleanRow], enterprise_id: int) -> Checked:
    """Check stored clean rows again at confirm time (someone may have imported meanwhile)."""
    checked = Checked(rows=[CleanRow(**{**asdict(r), "existing_id": None}) for r in rows])
    _check_platform(checked, enterprise_id)
    return checked


def errors_as_dicts(errors: list[RowError]) -> list[dict]:
    """Errors for JSON and templates."""
    return [asdict(e) for e in errors]


def _column_order(column: str | None) -> int:
    headers = list(KEY_TO_HEADER.values())
    return headers.index(column) if column in headers else -1


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _check_row(raw: RawRow) -> tuple[CleanRow, list[RowError]]:
    cells, n = raw.cells, raw.number
    errors: list[RowError] = []

    def fail(key: str, message: str) -> None:
        errors.append(RowError(n, KEY_TO_HEADER[key], message))

    seq = _text(cells["seq"])
    if seq and not seq.isdigit():
        fail("seq", "序号应为正整数")
    name = _text(cells["name"])
    if not name:
        fail("name", "姓名不能为空")
    elif len(name) > NAME_MAX:
        fail("name", f"姓名不能超过 {NAME_MAX} 个字")
    elif not storable(name):
        fail("name", "姓名包含无法保存的字符")

    gender = None
    try:
        gender = normalize_gender(_text(cells["gender"]))
    except InvalidValue as exc:
        fail("gender", exc.message)

    id_number = None
    raw_id = cells["id_number"]
    if isinstance(raw_id, int | float):
        # Excel keeps 15 significant digits: an 18-digit ID stored as a number has lost digits.
        fail(
            "id_number",
            "身份证号码被存成了数字，末尾几位可能已丢失，请将该列设为文本格式后重新填写",
        )
    elif not _text(raw_id):
        fail("id_number", "身份证号码不能为空")
    else:
        try:
            id_number = validate_resident_id(_text(raw_id))
        except InvalidValue as exc:
            fail("id_number", exc.message)
        if id_number and gender:
            try:
                validate_resident_id(id_number, gender)
            except InvalidValue as exc:
                fail("gender", exc.message)

    mobile = None
    try:
        mobile = validate_mobile(_text(cells["mobile"]))
    except InvalidValue as exc:
        fail("mobile", exc.message)

    account = None
    try:
        account = validate_account(_text(cells["account"]))
    except InvalidValue as exc:
        fail("account", exc.message)

    # Invalid fields are None: the duplicate checks skip them and report the rest.
    return CleanRow(n, name, gender, id_number, mobile, account), errors


def _check_duplicates_in_file(checked: Checked) -> None:
    first_account: dict[str, int] = {}
    first_id: dict[str, int] = {}
    keep = []
    for row in checked.rows:
        dup = False
        if row.account is None:
            pass
        elif row.account in first_account:
            checked.errors.append(
                RowError(
                    row.row,
                    KEY_TO_HEADER["account"],
                    f"平台登录账号与第 {first_account[row.account]} 行重复",
                )
            )
            dup = True
        else:
            first_account[row.account] = row.row
        if row.id_number is None:
            pass
        elif row.id_number in first_id:
            checked.errors.append(
                RowError(
                    row.row,
                    KEY_TO_HEADER["id_number"],
                    f"身份证号码与第 {first_id[row.id_number]} 行重复",
                )
            )
            dup = True
        else:
            first_id[row.id_number] = row.row
        if not dup:
            keep.append(row)
    checked.rows = keep


def _chunks(items: list, size: int = LOOKUP_CHUNK):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _check_platform(checked: Checked, enterprise_id: int) -> None:
    hashes = {
        row.row: pii.blind_index(row.id_number) for row in checked.rows if row.id_number is not None
    }
    here: dict[str, Trainee] = {}
    elsewhere: Counter[str] = Counter()
    for chunk in _chunks(list(hashes.values())):
        query = select(Trainee).where(Trainee.id_number_hash.in_(chunk))
        for trainee in db.session.scalars(query):
            if trainee.enterprise_id == enterprise_id:
                here[trainee.id_number_hash] = trainee
            else:
                elsewhere[trainee.id_number_hash] += 1

    accounts = [row.account for row in checked.rows if row.account is not None]
    owners: dict[str, int] = {}
    for chunk in _chunks(accounts):
        query = select(Trainee.account, Trainee.id).where(Trainee.account.in_(chunk))
        owners.update((account, owner) for account, owner in db.session.execute(query))

    for row in checked.rows:
        digest = hashes.get(row.row)
        known = here.get(digest) if digest else None
        owner = owners.get(row.account) if row.account else None
        if owner is not None and (known is None or owner != known.id):
            checked.errors.append(
                RowError(row.row, KEY_TO_HEADER["account"], "平台登录账号已被平台上的其他学员使用")
            )
        if known is not None and row.name is not None and row.mobile is not None:
            # The same person again (a second project, next year's training): enrol them,
            # and show where the file differs so the admin decides; nothing changes silently.
            row.existing_id = known.id
            checked.differences += _differences(row, known)
        elif digest in elsewhere:
            checked.elsewhere += 1


def _differences(row: CleanRow, trainee: Trainee) -> list[Difference]:
    found = []
    if row.name != trainee.name:
        found.append(Difference(row.row, trainee.id, KEY_TO_HEADER["name"], trainee.name, row.name))
    if pii.blind_index(row.mobile) != trainee.mobile_hash:
        current = pii.masked_mobile(trainee)
        found.append(
            Difference(
                row.row, trainee.id, KEY_TO_HEADER["mobile"], current, mask_mobile(row.mobile)
            )
        )
    if row.account != trainee.account:
        found.append(
            Difference(row.row, trainee.id, KEY_TO_HEADER["account"], trainee.account, row.account)
        )
    return found
