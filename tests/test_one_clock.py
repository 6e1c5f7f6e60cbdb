"""One clock: the application reads the time only through netzwerk.timeutil.

Every other wall-clock read escapes the frozen clock of the tests (or, on
the database side, time-machine altogether) and gives a test that passes on
the day it was written and fails on New Year's Eve.  Two guards:

* ruff's banned-api rule (TID251) finds the Python clocks however they are
  imported (``datetime.now(UTC)`` after ``from datetime import datetime``,
  ``dt.date.today()``, ``from time import time``, ``sa.func.now()``);
* a token scan finds what ruff cannot resolve: SQL clocks in SQL text
  (``CURRENT_DATE``, ``now()``, SQLite's ``date('now')``) and ``func.now()``
  reached through another object (``db.func.now()``).

Measuring durations (``time.monotonic``, ``time.perf_counter``) and
sleeping are no clock reads and stay allowed.
"""

from __future__ import annotations

import io
import re
import subprocess
import sys
import tokenize
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Where no clock may be read; netzwerk/timeutil.py is the one clock.
CHECKED = ("netzwerk", "tests", "bench")
# The token scan also covers the migrations (a server default of now()).
SCANNED = (*CHECKED, "migrations")

USE_TIMEUTIL = (
    "read the time through netzwerk.timeutil (utcnow, local_today); "
    "tests: the clock/instant fixtures of tests/conftest.py"
)
NO_SQL_CLOCK = "the database's clock is not the application's: pass utcnow() as a parameter"
# ruff's flake8-tidy-imports banned-api (TID251) lists the Python clocks in
# pyproject.toml, so that `make lint` and editors flag them as well.
PYPROJECT = ROOT / "pyproject.toml"

# SQL functions that read the database server's clock.
SQL_CLOCK_FUNCTIONS = (
    "now",
    "current_date",
    "current_time",
    "current_timestamp",
    "localtime",
    "localtimestamp",
    "sysdate",
    "getdate",
    "clock_timestamp",
    "statement_timestamp",
    "transaction_timestamp",
    "timeofday",
    "unixepoch",
)
# In SQL text (string literals): the clock keywords and functions, and
# SQLite's 'now' time value written into the text (date('now')).
SQL_CLOCK_IN_TEXT = re.compile(
    r"\bcurrent_(?:date|time|timestamp)\b"
    r"|\blocaltimestamp\b"
    r"|\b(?:now|sysdate|getdate|clock_timestamp|statement_timestamp"
    r"|transaction_timestamp|timeofday|unixepoch)\(\s*\)"
    r"|'now'",
    re.IGNORECASE,
)
# SQLite's date and time functions, which read the clock when given "now"
# (func.date("now")); a bind parameter named "now" is harmless.
SQLITE_TIME_FUNCTIONS = ("date", "time", "datetime", "julianday", "unixepoch", "strftime")
_STRING_TOKENS = {tokenize.STRING} | {
    t for t in (getattr(tokenize, "FSTRING_MIDDLE", None),) if t is not None
}


def _ruff_banned_api(*paths: str | Path, cwd: Path = ROOT) -> list[str]:
    """ruff's TID251 findings (banned APIs of pyproject.toml) in the paths."""
    command = [
        sys.executable,
        "-m",
        "ruff",
        "check",
        "--config",
        str(PYPROJECT),
        "--no-cache",
        "--select",
        "TID251",
        "--output-format",
        "concise",
        *map(str, paths),
    ]
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=120)
    assert result.returncode in (0, 1), result.stderr  # 2: ruff itself failed
    return [line for line in result.stdout.splitlines() if ": TID251 " in line]


def _python_files() -> list[Path]:
    files = []
    for top in SCANNED:
        files.extend(sorted((ROOT / top).rglob("*.py")))
    return [f for f in files if ".venv" not in f.parts and f.resolve() != Path(__file__)]


def _literal_text(token: tokenize.TokenInfo) -> str:
    if token.type != tokenize.STRING:
        return token.string  # an f-string's middle part (Python 3.12+)
    # Strip prefixes and quotes: the words inside are what matters.
    text = token.string.lstrip("rRbBuUfF")
    for quote in ('"""', "'''", '"', "'"):
        if text.startswith(quote) and text.endswith(quote) and len(text) >= 2 * len(quote):
            return text[len(quote) : -len(quote)]
    return text


def scan_for_sql_clocks(source: str) -> list[tuple[int, str]]:
    """(line, what) of every SQL clock in the source: in string literals,
    and ``<anything>.func.<clock>`` in code."""
    found: list[tuple[int, str]] = []
    tokens = [
        t
        for t in tokenize.generate_tokens(io.StringIO(source).readline)
        if t.type not in (tokenize.NL, tokenize.NEWLINE, tokenize.COMMENT)
    ]
    for i, token in enumerate(tokens):
        if token.type in _STRING_TOKENS:
            text = _literal_text(token)
            match = SQL_CLOCK_IN_TEXT.search(text)
            if match:
                found.append((token.start[0], f"SQL clock {match.group(0)!r} in text"))
            elif text.strip().lower() == "now" and _called_function(tokens, i) in (
                SQLITE_TIME_FUNCTIONS
            ):
                found.append((token.start[0], f"{_called_function(tokens, i)}('now')"))
        elif (
            token.type == tokenize.NAME
            and token.string == "func"
            and i + 2 < len(tokens)
            and tokens[i + 1].string == "."
            and tokens[i + 2].string.lower() in SQL_CLOCK_FUNCTIONS
        ):
            found.append((token.start[0], f"func.{tokens[i + 2].string}"))
    return found


def _called_function(tokens: list[tokenize.TokenInfo], index: int) -> str:
    """The name of the call whose arguments hold ``tokens[index]`` ("" if none)."""
    depth = 0
    for j in range(index - 1, 0, -1):
        text = tokens[j].string
        if text in (")", "]", "}"):
            depth += 1
        elif text in ("[", "{"):
            depth -= 1
        elif text == "(":
            if depth == 0:
                return tokens[j - 1].string.lower() if tokens[j - 1].type == tokenize.NAME else ""
            depth -= 1
    return ""


def test_nothing_but_timeutil_reads_the_python_clock():
    reads = _ruff_banned_api(*CHECKED)
    assert reads == [], (
        "wall-clock reads outside netzwerk/timeutil.py (" + USE_TIMEUTIL + "):\n" + "\n".join(reads)
    )


def test_nothing_reads_the_database_clock():
    reads = []
    for path in _python_files():
        rel = path.relative_to(ROOT).as_posix()
        for line, what in scan_for_sql_clocks(path.read_text(encoding="utf-8")):
            reads.append(f"{rel}:{line}: {what}")
    assert reads == [], NO_SQL_CLOCK + ":\n" + "\n".join(reads)


def test_the_guards_see_every_way_of_reading_a_clock(tmp_path):
    """The guards themselves: each way of reading a clock is found, the
    ways of measuring or sleeping are not."""
    reads_clock = {
        "a": "from datetime import UTC, datetime\nx = datetime.now(UTC)\n",
        "b": "import datetime as dt\nx = dt.date.today()\n",
        "c": "from time import time\nx = time()\n",
        "d": "import sqlalchemy as sa\nx = sa.func.now()\n",
        "e": "from email.utils import formatdate\nx = formatdate()\n",
    }
    harmless = "import time\nstart = time.monotonic()\ntime.sleep(0)\nx = time.perf_counter()\n"
    sandbox = tmp_path / "netzwerk"
    sandbox.mkdir()
    for name, source in reads_clock.items():
        (sandbox / f"{name}.py").write_text(source)
    (sandbox / "harmless.py").write_text(harmless)
    found = _ruff_banned_api("netzwerk", cwd=tmp_path)
    flagged = {line.split(".py:")[0].rsplit("/", 1)[-1] for line in found}
    assert flagged >= set(reads_clock), found
    assert "harmless" not in flagged

    sql_reads = [
        'db.session.execute(text("SELECT CURRENT_DATE"))',
        "x = db.func.now()",
        'x = func.date("now")',
        "x = text(\"strftime('%s', 'now')\")",
        "x = sa.text(\"created_at > now() - interval '1 day'\")",
        "server_default=sa.text('CURRENT_TIMESTAMP')",
    ]
    for source in sql_reads:
        assert scan_for_sql_clocks(source + "\n"), source
    for source in (
        "x = utcnow()",
        "app.jinja_env.filters['localtime'] = format_local",
        "x = _('Vote now')",
        'x = bindparam("now")',
        "x = _('Everything as it is now (redact first).')",
        "x = func.max(Feedback.created_at)",
    ):
        assert scan_for_sql_clocks(source + "\n") == [], source
