"""Workflow definitions: parsing and validating one YAML file.

The format (one workflow per file)::

    workflow: beschlussvorlage           # name: lower-case letters, digits, _
    title: Beschlussvorlage mit Vorberatung
    applies_to: paper                    # paper, agenda_item, project, ...
    slots: [paper:resolution, paper:motion]   # slots it may be chosen for
                                         # (default: every slot of its type)
    default_for: [paper:resolution]      # slots this is the shipped default for
    initial: entwurf
    states:
      entwurf: {title: Entwurf, flags: [editable_by_author]}
      beschlossen: {title: Beschlossen, final: true}
    transitions:
      einreichen:
        label: Einreichen                # the button
        from: entwurf                    # one state or a list
        to: eingereicht
        by: [author]                     # roles
        when: has_text                   # optional guard (a registered name)
        effects: [notify]                # registered effect names
        comment: optional                # required | optional | none
    timers:
      - {in: eingereicht, after: P14D, do: remind}   # do: transition or effect
    state_map: {alt: neu}                # removed state -> state it becomes

``parse_definition`` returns the definition and the list of problems, each
naming the file, the line and what is wrong.
"""

from __future__ import annotations

import hashlib
import re
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from . import registry
from .durations import DurationError, calendar_days, due_at, parse_duration
from .yamlload import LineDict, LineList, load_with_lines

NAME_RE = re.compile(r"^[a-z][a-z0-9_]{0,59}$")
COMMENT_MODES = ("required", "optional", "none")
TOP_KEYS = {
    "workflow",
    "title",
    "description",
    "applies_to",
    "default_for",
    "slots",
    "initial",
    "states",
    "transitions",
    "timers",
    "state_map",
}
STATE_KEYS = {"title", "final", "flags", "description"}
TRANSITION_KEYS = {"label", "from", "to", "by", "when", "effects", "comment", "description"}
TIMER_KEYS = {"in", "after", "do"}


@dataclass(frozen=True)
class Problem:
    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


class DefinitionError(Exception):
    """One or more definitions are invalid; ``problems`` says where and why."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("invalid workflow definition:\n" + "\n".join(str(p) for p in problems))


@dataclass(frozen=True)
class State:
    name: str
    title: str
    final: bool
    flags: frozenset[str]
    line: int
    description: str | None = None


@dataclass(frozen=True)
class Transition:
    name: str
    label: str
    from_states: tuple[str, ...]
    to: str
    by: tuple[str, ...]
    when: str | None
    effects: tuple[str, ...]
    comment: str
    line: int
    description: str | None = None

    @property
    def comment_required(self) -> bool:
        return self.comment == "required"

    @property
    def takes_comment(self) -> bool:
        return self.comment != "none"

    @property
    def timer_only(self) -> bool:
        return self.by == (registry.SYSTEM_ROLE,)


@dataclass(frozen=True)
class Timer:
    key: str
    state: str
    after: timedelta
    after_text: str
    do: str
    line: int

    def due_at(self, entered_at: datetime) -> datetime:
        """When the timer is due for a state entered at ``entered_at``: its
        days in the local calendar, the rest as time that passes."""
        return due_at(entered_at, self.after, calendar_days(self.after_text))


@dataclass
class WorkflowDefinition:
    name: str
    title: str
    applies_to: str
    initial: str
    states: dict[str, State]
    transitions: dict[str, Transition]
    timers: tuple[Timer, ...]
    state_map: dict[str, str]
    source: str
    hash: str
    file: str
    default_for: tuple[str, ...] = ()
    slots: tuple[str, ...] = ()
    description: str | None = None
    line: int = 1
    states_line: int = 1
    state_map_line: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def state_title(self, state: str) -> str:
        found = self.states.get(state)
        return found.title if found else state

    def transitions_from(self, state: str) -> list[Transition]:
        return [t for t in self.transitions.values() if state in t.from_states]

    def is_final(self, state: str) -> bool:
        found = self.states.get(state)
        return bool(found and found.final)


def content_hash(source: str) -> str:
    normalised = source.replace("\r\n", "\n")
    return hashlib.sha256(normalised.encode("utf-8")).hexdigest()


class _Collector:
    def __init__(self, file: str) -> None:
        self.file = file
        self.problems: list[Problem] = []

    def add(self, line: int, message: str) -> None:
        self.problems.append(Problem(self.file, line, message))


def _as_list(value: Any) -> tuple[list[Any], list[int] | None]:
    if isinstance(value, LineList):
        return list(value), list(value.item_lines)
    if value is None:
        return [], None
    return [value], None


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return str(value).strip() or None


def parse_definition(
    source: str, file: str = "<string>"
) -> tuple[WorkflowDefinition | None, list[Problem]]:
    """Parse and validate one definition; return it (or None) and the problems.

    The definition is only returned when there are no problems.
    """
    out = _Collector(file)
    data, yaml_problems = load_with_lines(source)
    for yp in yaml_problems:
        out.add(yp.line, yp.message)
    if data is None:
        return None, out.problems
    if not isinstance(data, LineDict):
        out.add(1, "a workflow definition must be a mapping (key: value)")
        return None, out.problems

    for key in data:
        if key not in TOP_KEYS:
            out.add(
                data.line_of(key), f"unknown key {key!r} (allowed: {', '.join(sorted(TOP_KEYS))})"
            )

    name = data.get("workflow")
    if name is None:
        out.add(data.line, "missing 'workflow' (the workflow's name)")
        name = "?"
    elif not isinstance(name, str) or not NAME_RE.match(name):
        out.add(data.line_of("workflow"), f"invalid workflow name {name!r}: use a-z, 0-9 and _")
    title = _text(data.get("title"))
    if title is None:
        out.add(data.line, "missing 'title'")

    applies_to = data.get("applies_to")
    if applies_to is None:
        out.add(data.line, "missing 'applies_to'")
    elif applies_to not in registry.object_types():
        out.add(
            data.line_of("applies_to"),
            f"unknown applies_to {applies_to!r} (known: {', '.join(registry.object_types())})",
        )
    known_types = registry.object_types()
    slots_raw, slot_lines = _as_list(data.get("slots"))
    fits: list[str] = []
    for i, slot in enumerate(slots_raw):
        line = slot_lines[i] if slot_lines else data.line_of("slots")
        if slot not in registry.slots():
            out.add(line, f"unknown slot {slot!r} in slots (known: {', '.join(registry.slots())})")
        elif applies_to in known_types and registry.slot_object_type(slot) != applies_to:
            out.add(line, f"slot {slot!r} is not for {applies_to!r} objects")
        else:
            fits.append(slot)
    if not slots_raw:
        fits = [s for s in registry.slots() if registry.slot_object_type(s) == applies_to]
    default_for_raw, default_lines = _as_list(data.get("default_for"))
    default_for: list[str] = []
    for i, slot in enumerate(default_for_raw):
        line = default_lines[i] if default_lines else data.line_of("default_for")
        if slot not in registry.slots():
            out.add(
                line,
                f"unknown slot {slot!r} in default_for (known: {', '.join(registry.slots())})",
            )
        elif applies_to in known_types and registry.slot_object_type(slot) != applies_to:
            out.add(line, f"slot {slot!r} is not for {applies_to!r} objects")
        elif slot not in fits:
            out.add(line, f"default_for names {slot!r}, which is not among its 'slots'")
        else:
            default_for.append(slot)

    # --- states -----------------------------------------------------------
    states: dict[str, State] = {}
    raw_states = data.get("states")
    states_line = data.line_of("states")
    if not isinstance(raw_states, LineDict) or not raw_states:
        out.add(states_line, "'states' must be a non-empty mapping of state names")
        raw_states = LineDict()
        raw_states.line, raw_states.key_lines, raw_states.value_lines = states_line, {}, {}
    allowed_flags = registry.known_flags(applies_to if isinstance(applies_to, str) else None)
    for state_name, spec in raw_states.items():
        line = raw_states.line_of(state_name)
        if not isinstance(state_name, str) or not NAME_RE.match(state_name):
            out.add(line, f"invalid state name {state_name!r}: use a-z, 0-9 and _")
            continue
        if spec is None:
            spec = LineDict()
            spec.line, spec.key_lines, spec.value_lines = line, {}, {}
        if not isinstance(spec, LineDict):
            out.add(line, f"state {state_name!r} must be a mapping (title, final, flags)")
            continue
        for key in spec:
            if key not in STATE_KEYS:
                out.add(spec.line_of(key), f"unknown key {key!r} in state {state_name!r}")
        final = spec.get("final", False)
        if not isinstance(final, bool):
            out.add(spec.line_of("final"), f"'final' of state {state_name!r} must be true or false")
            final = False
        flags_raw, flag_lines = _as_list(spec.get("flags"))
        flags = set()
        for i, flag in enumerate(flags_raw):
            if flag not in allowed_flags:
                out.add(
                    flag_lines[i] if flag_lines else spec.line_of("flags"),
                    f"unknown flag {flag!r} in state {state_name!r} "
                    f"(known: {', '.join(sorted(allowed_flags))})",
                )
            else:
                flags.add(flag)
        states[state_name] = State(
            name=state_name,
            title=_text(spec.get("title")) or state_name,
            final=final,
            flags=frozenset(flags),
            line=line,
            description=_text(spec.get("description")),
        )

    if isinstance(applies_to, str) and states:
        declared = set().union(*(st.flags for st in states.values()))
        for flag in sorted(registry.required_flags(applies_to) - declared):
            out.add(
                states_line,
                f"no state has the flag {flag!r}, which every {applies_to!r} workflow "
                f"must set (the application asks for it)",
            )

    initial = data.get("initial")
    if initial is None:
        out.add(data.line, "missing initial state ('initial')")
    elif initial not in states:
        out.add(data.line_of("initial"), f"initial state {initial!r} is not a defined state")

    # --- transitions ------------------------------------------------------
    transitions: dict[str, Transition] = {}
    raw_transitions = data.get("transitions")
    if raw_transitions is None:
        raw_transitions = LineDict()
        raw_transitions.line, raw_transitions.key_lines, raw_transitions.value_lines = (
            data.line,
            {},
            {},
        )
    if not isinstance(raw_transitions, LineDict):
        out.add(data.line_of("transitions"), "'transitions' must be a mapping of transition names")
        raw_transitions = LineDict()
        raw_transitions.line, raw_transitions.key_lines, raw_transitions.value_lines = (
            data.line,
            {},
            {},
        )
    for t_name, spec in raw_transitions.items():
        line = raw_transitions.line_of(t_name)
        if not isinstance(t_name, str) or not NAME_RE.match(t_name):
            out.add(line, f"invalid transition name {t_name!r}: use a-z, 0-9 and _")
            continue
        if t_name in states:
            out.add(line, f"transition {t_name!r} has the same name as a state")
        if not isinstance(spec, LineDict):
            out.add(line, f"transition {t_name!r} must be a mapping (from, to, by, ...)")
            continue
        for key in spec:
            if key not in TRANSITION_KEYS:
                out.add(spec.line_of(key), f"unknown key {key!r} in transition {t_name!r}")
        from_raw, from_lines = _as_list(spec.get("from"))
        if not from_raw:
            out.add(
                spec.line_of("from") if "from" in spec else line,
                f"transition {t_name!r} has no 'from' state",
            )
        from_states: list[str] = []
        for i, st in enumerate(from_raw):
            st_line = from_lines[i] if from_lines else spec.line_of("from", value=True)
            if st not in states:
                out.add(st_line, f"transition {t_name!r}: unknown state {st!r} in 'from'")
            elif st in from_states:
                out.add(st_line, f"transition {t_name!r}: state {st!r} named twice in 'from'")
            else:
                from_states.append(st)
        to = spec.get("to")
        if to is None:
            out.add(line, f"transition {t_name!r} has no 'to' state")
        elif to not in states:
            out.add(
                spec.line_of("to", value=True),
                f"transition {t_name!r}: unknown state {to!r} in 'to'",
            )
        by_raw, by_lines = _as_list(spec.get("by"))
        if not by_raw:
            out.add(
                spec.line_of("by") if "by" in spec else line,
                f"transition {t_name!r} names no roles in 'by' (use [system] for timer-only)",
            )
        by: list[str] = []
        roles_known = registry.known_roles()
        for i, role in enumerate(by_raw):
            role_line = by_lines[i] if by_lines else spec.line_of("by", value=True)
            if role not in roles_known:
                out.add(
                    role_line,
                    f"transition {t_name!r}: unknown role {role!r} "
                    f"(known: {', '.join(sorted(roles_known))})",
                )
            elif role == registry.SYSTEM_ROLE and len(by_raw) > 1:
                out.add(role_line, f"transition {t_name!r}: 'system' cannot be combined with roles")
            else:
                by.append(role)
        when = spec.get("when")
        if when is not None and when not in registry.GUARDS:
            out.add(
                spec.line_of("when", value=True),
                f"transition {t_name!r}: unknown guard {when!r} "
                f"(known: {', '.join(sorted(registry.GUARDS))})",
            )
        effects_raw, effect_lines = _as_list(spec.get("effects"))
        effects: list[str] = []
        for i, eff in enumerate(effects_raw):
            eff_line = effect_lines[i] if effect_lines else spec.line_of("effects", value=True)
            if eff not in registry.EFFECTS:
                out.add(
                    eff_line,
                    f"transition {t_name!r}: unknown effect {eff!r} "
                    f"(known: {', '.join(sorted(registry.EFFECTS))})",
                )
            else:
                effects.append(eff)
        comment = spec.get("comment", "none")
        if comment is False or comment is None:
            comment = "none"
        if comment not in COMMENT_MODES:
            out.add(
                spec.line_of("comment", value=True),
                f"transition {t_name!r}: comment must be required, optional or none, "
                f"not {comment!r}",
            )
            comment = "none"
        label = _text(spec.get("label"))
        if label is None:
            out.add(line, f"transition {t_name!r} has no 'label' (the button text)")
        transitions[t_name] = Transition(
            name=t_name,
            label=label or t_name,
            from_states=tuple(from_states),
            to=str(to) if to is not None else "",
            by=tuple(by),
            when=when if isinstance(when, str) else None,
            effects=tuple(effects),
            comment=str(comment),
            line=line,
            description=_text(spec.get("description")),
        )

    # --- timers -----------------------------------------------------------
    timers: list[Timer] = []
    raw_timers = data.get("timers")
    if raw_timers is not None and not isinstance(raw_timers, LineList):
        out.add(data.line_of("timers"), "'timers' must be a list")
        raw_timers = None
    for i, spec in enumerate(raw_timers or []):
        line = raw_timers.line_of(i) if isinstance(raw_timers, LineList) else data.line
        if not isinstance(spec, LineDict):
            out.add(line, "a timer must be a mapping (in, after, do)")
            continue
        for key in spec:
            if key not in TIMER_KEYS:
                out.add(spec.line_of(key), f"unknown key {key!r} in timer")
        state = spec.get("in")
        if state is None:
            out.add(line, "timer without 'in' (the state it waits in)")
        elif state not in states:
            out.add(spec.line_of("in", value=True), f"timer: unknown state {state!r}")
        elif states[state].final:
            out.add(
                spec.line_of("in", value=True),
                f"timer: state {state!r} is final, nothing can follow",
            )
        after_text = spec.get("after")
        after = timedelta(0)
        if after_text is None:
            out.add(line, "timer without 'after' (an ISO-8601 duration like P14D)")
        else:
            try:
                after = parse_duration(after_text)
            except DurationError as exc:
                out.add(spec.line_of("after", value=True), f"timer: {exc}")
        do = spec.get("do")
        if do is None:
            out.add(line, "timer without 'do' (a transition or an effect)")
        elif do in transitions:
            if state is not None and state not in transitions[do].from_states:
                out.add(
                    spec.line_of("do", value=True),
                    f"timer: transition {do!r} cannot be fired from state {state!r}",
                )
        elif do not in registry.EFFECTS:
            out.add(
                spec.line_of("do", value=True),
                f"timer: {do!r} is neither a transition nor an effect",
            )
        timers.append(
            Timer(
                key=f"{state}:{after_text}:{do}",
                state=str(state),
                after=after,
                after_text=str(after_text),
                do=str(do),
                line=line,
            )
        )
    seen_timers: set[str] = set()
    for timer in timers:
        if timer.key in seen_timers:
            out.add(timer.line, "duplicate timer (same state, duration and action)")
        seen_timers.add(timer.key)

    # --- state_map --------------------------------------------------------
    state_map: dict[str, str] = {}
    raw_map = data.get("state_map")
    state_map_line = data.line_of("state_map") if "state_map" in data else None
    if raw_map is not None:
        if not isinstance(raw_map, LineDict):
            out.add(data.line_of("state_map"), "'state_map' must map old state names to states")
        else:
            for old, new in raw_map.items():
                if old in states:
                    out.add(
                        raw_map.line_of(old),
                        f"state_map: {old!r} is still a state; only removed states are mapped",
                    )
                elif new not in states:
                    out.add(
                        raw_map.line_of(old, value=True),
                        f"state_map: {old!r} maps to unknown state {new!r}",
                    )
                else:
                    state_map[str(old)] = str(new)

    # --- graph checks -----------------------------------------------------
    if initial in states:
        reachable = {initial}
        queue = deque([initial])
        while queue:
            current = queue.popleft()
            for t in transitions.values():
                if current in t.from_states and t.to in states and t.to not in reachable:
                    reachable.add(t.to)
                    queue.append(t.to)
        for st in states.values():
            if st.name not in reachable:
                out.add(
                    st.line, f"state {st.name!r} is unreachable from the initial state {initial!r}"
                )
    for st in states.values():
        outgoing = [t for t in transitions.values() if st.name in t.from_states]
        if st.final and outgoing:
            out.add(
                outgoing[0].line,
                f"transition {outgoing[0].name!r} leaves the final state {st.name!r}",
            )
        if not st.final and not outgoing:
            out.add(
                st.line,
                f"state {st.name!r} is not final but has no way out (no transition from it)",
            )

    if out.problems:
        return None, out.problems
    assert isinstance(name, str) and isinstance(initial, str) and isinstance(applies_to, str)
    return (
        WorkflowDefinition(
            name=name,
            title=title or name,
            applies_to=applies_to,
            initial=initial,
            states=states,
            transitions=transitions,
            timers=tuple(timers),
            state_map=state_map,
            source=source,
            hash=content_hash(source),
            file=file,
            default_for=tuple(default_for),
            slots=tuple(fits),
            description=_text(data.get("description")),
            line=data.line_of("workflow"),
            states_line=states_line,
            state_map_line=state_map_line,
        ),
        [],
    )


def check_set(definitions: list[WorkflowDefinition]) -> list[Problem]:
    """Problems across files: duplicate workflow names, two defaults for a slot."""
    problems: list[Problem] = []
    names: dict[str, WorkflowDefinition] = {}
    defaults: dict[str, WorkflowDefinition] = {}
    for d in definitions:
        if d.name in names:
            problems.append(
                Problem(
                    d.file,
                    d.line,
                    f"duplicate workflow name {d.name!r} (also in {names[d.name].file})",
                )
            )
        else:
            names[d.name] = d
        for slot in d.default_for:
            if slot in defaults:
                problems.append(
                    Problem(
                        d.file,
                        d.line,
                        f"{slot!r} already has a default workflow "
                        f"({defaults[slot].name!r} in {defaults[slot].file})",
                    )
                )
            else:
                defaults[slot] = d
    return problems
