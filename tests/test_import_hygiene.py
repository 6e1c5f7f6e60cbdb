"""No module does anything when it is imported; no two modules import each
other; no lower layer imports an upper one.

Packages register what they offer (workflow object types, guards, effects,
providers, signal receivers, scheduler jobs, administration sections,
indicators) from their ``init_app(app)``, which ``create_app`` calls in layer
order.  So behaviour never depends on which module somebody imported first.

* Every module of ``netzwerk`` is imported alone, each in a fresh
  interpreter (forked from one that has loaded the third-party libraries
  only), and afterwards every registry is still empty and no signal has a
  receiver.
* The graph of module-level imports has no cycle, and the engine
  (``netzwerk/workflow``) imports no domain package.
"""

from __future__ import annotations

import ast
import multiprocessing
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "netzwerk"

# The engine knows its clients only through what they register.
ENGINE = "netzwerk.workflow"
ENGINE_MAY_IMPORT = (
    "netzwerk.workflow",
    "netzwerk.database",
    "netzwerk.extensions",
    "netzwerk.audit",
    "netzwerk.signals",
    "netzwerk.timeutil",
    "netzwerk.rules",
    "netzwerk.forms",
    "netzwerk.auth.access",
    "netzwerk.auth.models",
    "netzwerk.admin",
    "netzwerk.scheduler",
)


# Entries a registry holds by definition, not by registration.
BUILT_IN = {("netzwerk.voting.providers", "_ELIGIBILITY"): {"circular"}}


def module_names() -> list[str]:
    names = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        names.append(".".join(parts))
    return names


def _registries_after_import(name: str) -> dict[str, int]:
    """In the child: import one module, then measure every registry."""
    import importlib

    importlib.import_module(name)
    from netzwerk import signals
    from netzwerk.workflow import registry

    sizes = {
        "workflow subjects": len(registry.SUBJECTS),
        "workflow guards": len(registry.GUARDS),
        "workflow effects": len(registry.EFFECTS),
        "workflow providers": len(registry.poll_result_providers)
        + len(registry.quorum_providers)
        + len(registry.attachment_providers)
        + len(registry.agenda_schedulers),
    }
    for attribute in dir(signals):
        signal = getattr(signals, attribute)
        if hasattr(signal, "receivers"):
            sizes[f"receivers of signals.{attribute}"] = len(signal.receivers)
    for module_name, attribute in [
        ("netzwerk.scheduler", "JOBS"),
        ("netzwerk.admin", "ADMIN_SECTIONS"),
        ("netzwerk.monitoring.indicators", "PROVIDERS"),
        ("netzwerk.voting.providers", "_SUBJECTS"),
        ("netzwerk.voting.providers", "_ELIGIBILITY"),
        ("netzwerk.meetings.hooks", "_lookups"),
        ("netzwerk.meetings.hooks", "_may_open"),
    ]:
        module = sys.modules.get(module_name)
        if module is not None and hasattr(module, attribute):
            entries = set(getattr(module, attribute)) - BUILT_IN.get(
                (module_name, attribute), set()
            )
            sizes[f"{module_name}.{attribute}"] = len(entries)
    return sizes


def _grandchild(name: str, send: Any) -> None:
    try:
        send.send((name, _registries_after_import(name), None))
    except BaseException as exc:  # noqa: BLE001  (reported to the parent)
        send.send((name, {}, f"{type(exc).__name__}: {exc}"))
    send.close()


def _base(names: list[str], out: Any) -> None:
    """A fresh ``netzwerk``: every import of a netzwerk module in a new
    interpreter runs the root package first, so a process that has imported
    just the root package (and the third-party libraries) is what each
    module's import starts from.  Each module is then imported in a process
    forked from this one, two at a time (a pipe each: nothing shared)."""
    for module in [m for m in sys.modules if m == "netzwerk" or m.startswith("netzwerk.")]:
        del sys.modules[module]
    results = [("netzwerk", _registries_after_import("netzwerk"), None)]
    context = multiprocessing.get_context("fork")
    pending = list(names)
    running: list[tuple[Any, Any]] = []
    while pending or running:
        while pending and len(running) < 2:
            receive, send = context.Pipe(duplex=False)
            process = context.Process(target=_grandchild, args=(pending.pop(0), send))
            process.start()
            send.close()
            running.append((process, receive))
        process, receive = running.pop(0)
        results.append(receive.recv() if receive.poll(120) else (str(process), {}, "timed out"))
        process.join()
    out.send(results)
    out.close()


@pytest.mark.skipif(sys.platform != "linux", reason="forks a fresh interpreter per module")
def test_every_module_imports_alone_and_registers_nothing():
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    names = [n for n in module_names() if n != "netzwerk"]
    base = context.Process(target=_base, args=(names, send))
    base.start()
    send.close()
    assert receive.poll(600), "the import check did not finish"
    results = receive.recv()
    base.join(timeout=60)
    assert sorted(r[0] for r in results) == sorted(["netzwerk", *names])
    failures = []
    for module, sizes, error in results:
        if error:
            failures.append(f"{module}: import failed: {error}")
            continue
        failures += [
            f"{module}: {what} holds {n} after the import" for what, n in sizes.items() if n
        ]
    assert failures == [], "\n".join(failures)


def _imports(path: Path, name: str) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    is_package = path.name == "__init__.py"
    found: set[str] = set()
    for node in tree.body:  # module level only: an import inside a function is lazy
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".") if is_package else name.split(".")[:-1]
                base = base[: len(base) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            found.add(module)
            found |= {f"{module}.{alias.name}" for alias in node.names}
    return found


def import_graph() -> dict[str, set[str]]:
    names = set(module_names())
    graph: dict[str, set[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(ROOT).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        # The root package is the application factory; importing a sibling
        # ("from .. import signals") loads it first but is no dependency on it.
        graph[name] = {
            m for m in _imports(path, name) if m in names and m not in (name, "netzwerk")
        }
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = [0]

    def visit(node: str) -> None:
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_two_modules_import_each_other():
    assert cycles(import_graph()) == []


def test_the_cycle_check_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_the_engine_imports_no_domain_package():
    graph = import_graph()
    upward = [
        f"{module} imports {target}"
        for module, targets in graph.items()
        if module.startswith(ENGINE)
        for target in targets
        if not target.startswith(ENGINE_MAY_IMPORT)
    ]
    assert upward == []
