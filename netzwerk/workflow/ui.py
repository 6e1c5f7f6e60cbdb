"""What templates need to show a workflow object: state, buttons, history.

Packages with workflow objects call :func:`panel` in their detail view and
include ``workflow/_panel.html``; their POST view calls :func:`fire_from_form`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..auth.models import User
from . import services
from .definition import State, Transition, WorkflowDefinition
from .forms import TransitionForm


@dataclass
class PanelButton:
    transition: Transition
    to_title: str
    form: TransitionForm
    action: str


@dataclass
class WorkflowPanel:
    definition: WorkflowDefinition
    state: State
    version: int
    buttons: list[PanelButton]
    history: list[services.HistoryEntry]
    is_current_version: bool
    flags: frozenset[str] = field(default_factory=frozenset)
    # Steps the user's role allows whose condition does not hold now, with why.
    refused: list[services.AvailableTransition] = field(default_factory=list)


def panel(
    user: User,
    obj: Any,
    action_for: Callable[[str], str],
    failed: tuple[str, TransitionForm] | None = None,
) -> WorkflowPanel:
    """The panel; ``failed`` = (transition name, form) re-shown with its errors."""
    from .catalog import get_catalog

    definition = services.definition_of(obj)
    buttons = []
    refused = []
    for available in services.possible_transitions(user, obj):
        if available.refused is not None:
            refused.append(available)
            continue
        name = available.transition.name
        if failed is not None and failed[0] == name:
            form = failed[1]
        else:
            form = TransitionForm(prefix=f"t-{name}", formdata=None)
            form.version.data = str(obj.version)
        buttons.append(
            PanelButton(available.transition, available.to_title, form, action_for(name))
        )
    current = get_catalog().current.get(definition.name)
    state = definition.states[obj.state]
    return WorkflowPanel(
        definition=definition,
        state=state,
        version=obj.version,
        buttons=buttons,
        history=services.history(obj),
        is_current_version=current is not None and current.hash == definition.hash,
        flags=state.flags,
        refused=refused,
    )


def transition_form(transition_name: str) -> TransitionForm:
    """The submitted form of one button (bound to the request)."""
    return TransitionForm(prefix=f"t-{transition_name}")


def fire_from_form(user: User, obj: Any, transition_name: str, form: TransitionForm) -> None:
    """Fire the transition the form asks for; errors go onto the form.

    Raises WorkflowError for the caller to show (conflicts, refusals).
    """
    services.fire(
        user,
        obj,
        transition_name,
        comment=form.comment.data,
        expected_version=form.expected_version(),
    )


def state_title(obj: Any) -> str:
    return services.definition_of(obj).state_title(obj.state)
