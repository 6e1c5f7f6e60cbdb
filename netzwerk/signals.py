"""Every signal the packages send one another, in one place.

A package that must react to another's event connects a receiver here from
its ``init_app`` (never on import), so the lower package does not import the
upper one and nothing depends on the order modules are imported in.  Every
signal is sent inside the sender's transaction: a receiver's writes commit
or roll back with the event that caused them.

Connecting the same receiver again does nothing (blinker keys receivers by
identity), so ``create_app`` may run more than once in a process.  Receivers
are held weakly: connect module-level functions.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

#: A workflow transition was applied.  ``sender`` is the object type
#: ("paper", "meeting", ...); keyword arguments: ``obj`` (the object, its new
#: state already written), ``ctx`` (the engine's TransitionContext).
workflow_transition = _signals.signal("workflow-transition")

#: An object was put at the start of its workflow.  ``sender`` is the object
#: type; keyword arguments ``obj`` and ``definition``.
workflow_started = _signals.signal("workflow-started")

#: A poll was closed and counted.  ``sender`` is the closed Poll; keyword
#: argument ``now``.  The decisions register writes the decision.
poll_closed = _signals.signal("poll-closed")

#: An election of persons was closed (its last round counted).  ``sender``
#: is the Election; keyword argument ``now``.  The register records it.
election_closed = _signals.signal("election-closed")

#: A decision was recorded for a paper.  ``sender`` is the Decision; keyword
#: argument ``now``.  A project whose paper it is follows the outcome.
decision_recorded = _signals.signal("decision-recorded")

#: What became of a feedback, asked by its status page.  ``sender`` is the
#: Feedback; each receiver returns a list of ``feedback.outcomes.Outcome``
#: (the projects package answers with the projects that came out of it).
feedback_outcome_projects = _signals.signal("feedback-outcome-projects")

#: The ids of all feedback that led to a project (the public outcome
#: figures).  ``sender`` is None; receivers return an iterable of ids.
feedback_with_projects = _signals.signal("feedback-with-projects")
