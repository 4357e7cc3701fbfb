"""A worker's memory while an import reads a hostile or the largest acceptable xlsx: the peak
resident size of a fresh process rises by under 100 MB (issue 25: a 26 KB shared-strings bomb
took a worker to 23 GB). Measured in a subprocess, as the reader's memory is Rust's, not
Python's; each import's own parse function runs, as a request runs it."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests import hostile_xlsx, rosters

LIMIT_MB = 100
QUESTION = ["单选题", "安全帽的作用是？", "装饰", "防护头部", None, None, None, None, "B"]
# A 4-byte character (U+1F600): the most memory one character takes, in Python and in Rust.
EMOJI = "\U0001f600".encode()
# In the child: read the file, reset the peak resident size (Linux: 5 to clear_refs), run the
# import's parse, and read the peak (VmHWM) against the size before.
CHILD = """
import json, sys
from backend.kernel.errors import DomainError
from backend.services.practice import bank_xlsx
from backend.services.roster import parse

def kb(field):
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith(field))

data = open(sys.argv[2], "rb").read()
with open("/proc/self/clear_refs", "w") as refs:
    refs.write("5")
before = kb("VmRSS:")
try:
    if sys.argv[1] == "bank":
        bank_xlsx.parse_bank(data)
    else:
        parse.read_roster("roster.xlsx", data, max_rows=10000)
    outcome = "read"
except DomainError as exc:
    outcome = exc.code
print(json.dumps({"outcome": outcome, "rise_mb": (kb("VmHWM:") - before) / 1024}))
"""


def _distinct_strings(data: bytes, count: int, characters: int) -> bytes:
    """``count`` distinct shared strings of ``characters`` 4-byte characters, one row using
    each once: the shared-string table and the cells' copies both as large as allowed."""
    strings = [EMOJI * (characters - 6) + b"%06d" % n for n in range(count)]
    row = b"".join(b'<c t="s"><v>%d</v></c>' % n for n in range(count))
    return hostile_xlsx.with_shared_strings(data, strings, b'<row r="1">' + row + b"</row>")


def _files() -> dict[str, tuple[str, bytes, bool]]:
    """name -> (import, file, refused as too large)."""
    bank = hostile_xlsx.bank_bytes([QUESTION])
    roster = rosters.xlsx_bytes([rosters.person(1)])
    return {
        "bank_bomb": ("bank", hostile_xlsx.shared_string_bomb(bank), True),
        "roster_bomb": ("roster", hostile_xlsx.shared_string_bomb(roster), True),
        "bank_expansion": ("bank", hostile_xlsx.shared_string_bomb(bank, 32_000), True),
        "roster_expansion": ("roster", hostile_xlsx.shared_string_bomb(roster, 32_000), True),
        # Just inside the limits: 3.96 million characters, in the table and in the cells.
        "bank_most_text": ("bank", _distinct_strings(bank, 240, 16_500), False),
        # One string of 16,000 characters used by 246 cells: 3.94 million characters read.
        "roster_most_text": (
            "roster",
            hostile_xlsx.with_shared_strings(
                roster, [EMOJI * 16_000], hostile_xlsx.shared_string_rows(246)
            ),
            False,
        ),
    }


FILES = _files()


@pytest.mark.parametrize("name", list(FILES))
def test_reading_the_file_raises_memory_by_under_100_mb(tmp_path, name):
    kind, data, refused = FILES[name]
    path = tmp_path / "upload.xlsx"
    path.write_bytes(data)
    assert len(data) < 900 * 1024  # an upload either import takes
    run = subprocess.run(  # noqa: S603 - our own fixed command line
        [sys.executable, "-c", CHILD, kind, str(path)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    result = json.loads(run.stdout)
    assert (result["outcome"] == "sheet_too_large") is refused, result
    assert result["rise_mb"] < LIMIT_MB, result
