"""The loaded workflow definitions of the running application.

Current definitions come from ``workflows/*.yaml`` at start; older versions
(that running objects are pinned to) are read back from the table
``workflow_definition_version``.
"""

from __future__ import annotations

import logging
from pathlib import Path

from flask import Flask, current_app
from sqlalchemy import distinct, func, inspect, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from ..extensions import db
from . import registry
from .definition import DefinitionError, Problem, WorkflowDefinition, check_set, parse_definition
from .models import WorkflowDefinitionVersion

log = logging.getLogger(__name__)
EXTENSION_KEY = "netzwerk_workflows"


class UnknownWorkflow(LookupError):
    pass


class WorkflowCatalog:
    def __init__(
        self, definitions: list[WorkflowDefinition], directory: Path | None = None
    ) -> None:
        self.directory = directory
        self.current: dict[str, WorkflowDefinition] = {d.name: d for d in definitions}
        self._by_hash: dict[tuple[str, str], WorkflowDefinition] = {
            (d.name, d.hash): d for d in definitions
        }
        self._flag_states: dict[tuple[str, str], set[str]] = {}
        self._flag_split: dict[
            tuple[str, str], tuple[set[str], dict[str, set[tuple[str, str]]]]
        ] = {}

    def get(self, name: str) -> WorkflowDefinition:
        try:
            return self.current[name]
        except KeyError:
            raise UnknownWorkflow(name) from None

    def version(self, name: str, hash_: str) -> WorkflowDefinition:
        """The definition an object is pinned to (current or an older version)."""
        found = self._by_hash.get((name, hash_))
        if found is not None:
            return found
        row = db.session.scalar(
            select(WorkflowDefinitionVersion).where(
                WorkflowDefinitionVersion.name == name, WorkflowDefinitionVersion.hash == hash_
            )
        )
        if row is None:
            raise UnknownWorkflow(f"{name}@{hash_[:12]}")
        definition, problems = parse_definition(row.source, f"{row.file_name}@{hash_[:12]}")
        if definition is None:
            raise DefinitionError(problems)
        self._by_hash[(name, hash_)] = definition
        return definition

    def sorted(self) -> list[WorkflowDefinition]:
        return sorted(self.current.values(), key=lambda d: (d.applies_to, d.title))

    def for_object_type(self, object_type: str) -> list[WorkflowDefinition]:
        return [d for d in self.sorted() if d.applies_to == object_type]

    def states_with_flag(self, object_type: str, flag: str) -> set[str]:
        """State names with ``flag`` in any definition for the type that is
        current or that a running object is pinned to."""
        key = (object_type, flag)
        found = self._flag_states.get(key)
        if found is None:
            found = set()
            for definition in self._definitions_for(object_type):
                found |= {s.name for s in definition.states.values() if flag in s.flags}
            self._flag_states[key] = found
        return found

    def flag_split(
        self, object_type: str, flag: str
    ) -> tuple[set[str], dict[str, set[tuple[str, str]]]]:
        """For a query on ``flag``: the state names that carry it in every
        definition for the type that has them (a name test suffices), and
        for each name that carries it in some definitions only, the
        definitions (name, hash) in which it does."""
        key = (object_type, f"split:{flag}")
        cached = self._flag_split.get(key)
        if cached is not None:
            return cached
        with_flag: dict[str, set[tuple[str, str]]] = {}
        without: set[str] = set()
        for definition in self._definitions_for(object_type):
            for state in definition.states.values():
                if flag in state.flags:
                    with_flag.setdefault(state.name, set()).add((definition.name, definition.hash))
                else:
                    without.add(state.name)
        plain = {name for name in with_flag if name not in without}
        mixed = {name: pins for name, pins in with_flag.items() if name in without}
        self._flag_split[key] = (plain, mixed)
        return plain, mixed

    def _definitions_for(self, object_type: str) -> list[WorkflowDefinition]:
        rows = db.session.execute(
            select(WorkflowDefinitionVersion.name, WorkflowDefinitionVersion.hash).where(
                WorkflowDefinitionVersion.applies_to == object_type
            )
        ).all()
        result = [d for d in self.current.values() if d.applies_to == object_type]
        for name, hash_ in rows:
            try:
                result.append(self.version(name, hash_))
            except (UnknownWorkflow, DefinitionError):
                continue
        return result

    def forget_versions(self) -> None:
        """Drop what was read from the database (a new version was stored)."""
        self._flag_states.clear()
        self._flag_split.clear()

    def default_for(self, slot: str) -> WorkflowDefinition | None:
        for d in self.current.values():
            if slot in d.default_for:
                return d
        candidates = self.for_object_type(registry.slot_object_type(slot))
        return candidates[0] if candidates else None


def default_directory() -> Path:
    return Path(__file__).resolve().parent.parent.parent / "workflows"


def load_files(paths: list[Path]) -> tuple[list[WorkflowDefinition], list[Problem]]:
    definitions: list[WorkflowDefinition] = []
    problems: list[Problem] = []
    for path in paths:
        try:
            source = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            problems.append(Problem(str(path), 1, f"cannot read file: {exc}"))
            continue
        definition, found = parse_definition(source, str(path))
        problems += found
        if definition is not None:
            definitions.append(definition)
    problems += check_set(definitions)
    return definitions, problems


def load_directory(directory: Path) -> tuple[list[WorkflowDefinition], list[Problem]]:
    if not directory.is_dir():
        return [], [Problem(str(directory), 1, "workflow directory does not exist")]
    paths = sorted(p for p in directory.iterdir() if p.suffix in (".yaml", ".yml"))
    return load_files(paths)


def check_against_database(definitions: list[WorkflowDefinition]) -> list[Problem]:
    """Stored objects in states a definition no longer has (and does not map)."""
    problems: list[Problem] = []
    existing = set(inspect(db.engine).get_table_names())
    for definition in definitions:
        for subject in registry.SUBJECTS.values():
            if subject.object_type != definition.applies_to:
                continue
            if subject.model.__tablename__ not in existing:
                continue
            model = subject.model
            rows = db.session.execute(
                select(model.state, func.count(distinct(model.id)))
                .where(model.workflow_name == definition.name)
                .group_by(model.state)
            ).all()
            for state, count in rows:
                if state in definition.states or state in definition.state_map:
                    continue
                problems.append(
                    Problem(
                        definition.file,
                        definition.state_map_line or definition.states_line,
                        f"state {state!r} was removed but {count} stored {subject.object_type} "
                        f"object(s) are in it: add it back or map it in 'state_map'",
                    )
                )
    return problems


def store_version(definition: WorkflowDefinition) -> None:
    """Keep this version's source (inside the caller's transaction)."""
    exists = db.session.scalar(
        select(WorkflowDefinitionVersion.id).where(
            WorkflowDefinitionVersion.name == definition.name,
            WorkflowDefinitionVersion.hash == definition.hash,
        )
    )
    if exists is not None:
        return
    try:
        with db.session.begin_nested():
            db.session.add(
                WorkflowDefinitionVersion(
                    name=definition.name,
                    hash=definition.hash,
                    applies_to=definition.applies_to,
                    file_name=Path(definition.file).name,
                    source=definition.source,
                )
            )
    except IntegrityError:
        pass  # stored by a concurrent transaction
    else:
        catalog = current_app.extensions.get(EXTENSION_KEY)
        if catalog is not None:
            catalog.forget_versions()


def init_catalog(app: Flask, directory: Path | None = None) -> WorkflowCatalog:
    """Load and validate every definition; raise DefinitionError when invalid."""
    directory = directory or Path(app.config.get("NETZWERK_WORKFLOW_DIR") or default_directory())
    definitions, problems = load_directory(directory)
    if problems:
        raise DefinitionError(problems)
    if app.config.get("NETZWERK_WORKFLOW_DB_CHECK", True):
        with app.app_context():
            try:
                problems = check_against_database(definitions)
            except SQLAlchemyError as exc:  # no database yet (first `db upgrade`)
                log.warning("workflow definitions not checked against the database: %s", exc)
                problems = []
            finally:
                db.session.remove()
        if problems:
            raise DefinitionError(problems)
    catalog = WorkflowCatalog(definitions, directory)
    app.extensions[EXTENSION_KEY] = catalog
    return catalog


def get_catalog() -> WorkflowCatalog:
    catalog = current_app.extensions.get(EXTENSION_KEY)
    if catalog is None:
        catalog = init_catalog(current_app._get_current_object())  # type: ignore[attr-defined]
    return catalog  # type: ignore[no-any-return]
