"""Outside workflows/, no state or transition name is written down.

Code asks flags ("is this meeting invited?"), never names ("is its state
eingeladen?"): a name written in Python or a template would break the day
somebody renames the state in its YAML file.  This test reads every string
literal of the application's Python modules (with ``ast``) and every quoted
string of its templates, and fails on one that equals a state or transition
id of a shipped definition.

Words that are names in a definition and, by coincidence, values of another
vocabulary are listed in ``OTHER_VOCABULARIES`` with the reason.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = ROOT / "workflows"

# (file relative to the project, word): why it is not a workflow name there.
OTHER_VOCABULARIES: dict[tuple[str, str], str] = {}


def workflow_names() -> set[str]:
    names: set[str] = set()
    for path in WORKFLOWS.glob("*.yaml"):
        definition = yaml.safe_load(path.read_text(encoding="utf-8"))
        names |= set(definition.get("states") or {})
        names |= set(definition.get("transitions") or {})
    return names


def python_literals(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in docstrings
    ]


TEMPLATE_STRING = re.compile(r"""(?P<q>["'])(?P<text>[a-z][a-z0-9_]*)(?P=q)""")


def template_literals(path: Path) -> list[tuple[int, str]]:
    found = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        found += [(number, m.group("text")) for m in TEMPLATE_STRING.finditer(line)]
    return found


def test_no_state_or_transition_name_outside_workflows():
    names = workflow_names()
    assert len(names) > 20  # the shipped definitions were read
    offences = []
    sources = [(p, python_literals) for p in (ROOT / "netzwerk").rglob("*.py")]
    sources += [(p, template_literals) for p in (ROOT / "templates").rglob("*.html")]
    for path, literals in sources:
        relative = str(path.relative_to(ROOT))
        for line, text in literals(path):
            if text in names and (relative, text) not in OTHER_VOCABULARIES:
                offences.append(f"{relative}:{line}: {text!r}")
    assert offences == [], "ask a flag instead of naming a state:\n" + "\n".join(offences)


def test_the_check_finds_a_name_where_one_is_written(tmp_path):
    probe = tmp_path / "probe.py"
    probe.write_text('"""Docstring naming geplant."""\nif meeting.state == "geplant":\n    pass\n')
    assert (2, "geplant") in python_literals(probe)
    assert (1, "Docstring naming geplant.") not in python_literals(probe)
    page = tmp_path / "page.html"
    page.write_text("{% if meeting.state == 'eingeladen' %}x{% endif %}\n")
    assert template_literals(page) == [(1, "eingeladen")]
