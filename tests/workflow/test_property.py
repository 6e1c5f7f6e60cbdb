"""Property: random transition attempts by random users never leave an object
in a state the definition does not allow, never bypass a role or guard, and
write exactly one audit event per applied transition."""

from __future__ import annotations

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from sqlalchemy import func, select

from netzwerk.audit.models import AuditEvent
from netzwerk.audit.services import verify_chain
from netzwerk.extensions import db
from netzwerk.papers.models import Paper
from netzwerk.workflow import services
from netzwerk.workflow.catalog import get_catalog

from .helpers import make_paper, user

ROLES = ["admin", "office", "chair", "member", "lead"]
# The roles each demo login holds in the demo bodies, written out by hand so
# that the oracle does not share code with the engine.
GLOBAL = {"admin": {"admin"}, "office": {"office"}, "chair": set(), "member": set(), "lead": set()}
IN_BODY = {
    "VK": {
        "admin": set(),
        "office": {"office"},
        "chair": {"chair"},
        "member": {"vice_chair"},
        "lead": set(),
    },
    "BK": {
        "admin": set(),
        "office": {"office"},
        "chair": {"chair"},
        "member": {"vice_chair"},
        "lead": {"member"},
    },
}


def _steps() -> list[str]:
    names = {"no_such_step"}
    for name in ("beschlussvorlage", "informationsvorlage"):
        names |= set(get_catalog().get(name).transitions)
    return sorted(names)


def test_random_transition_attempts_respect_the_definition(wf, polls):
    steps = _steps()

    class PaperMachine(RuleBasedStateMachine):
        @initialize(
            author=st.sampled_from(["member", "office", "admin"]),
            body_short=st.sampled_from(["VK", "BK"]),
            kind=st.sampled_from(["resolution", "information", "motion"]),
            text=st.sampled_from(["", "Ein Text"]),
        )
        def create(self, author, body_short, kind, text):
            self.paper = make_paper(author=author, body_short=body_short, kind=kind, text=text)
            self.paper_id = self.paper.id
            self.author = author
            self.body_short = body_short
            self.text = text
            self.definition = services.definition_of(self.paper)
            self.state = self.definition.initial
            self.applied = 0

        def _count_events(self) -> int:
            return db.session.scalar(
                select(func.count(AuditEvent.id)).where(
                    AuditEvent.object_type == "paper",
                    AuditEvent.object_id == self.paper_id,
                    AuditEvent.action == services.TRANSITION_ACTION,
                )
            )

        @rule(result=st.sampled_from([None, True, False]))
        def poll_result(self, result):
            if result is None:
                polls.results.pop(("paper", self.paper_id), None)
            else:
                polls.results[("paper", self.paper_id)] = result

        @rule(
            role=st.sampled_from(ROLES),
            step=st.sampled_from(steps),
            comment=st.sampled_from([None, "", "Begründung"]),
        )
        def attempt(self, role, step, comment):
            self._attempt(role, step, comment)

        @rule(data=st.data())
        def attempt_a_step_of_the_current_state(self, data):
            """Most random names do not fit the state; these do (deeper paths)."""
            candidates = sorted(t.name for t in self.definition.transitions_from(self.state))
            if not candidates:
                return
            step = data.draw(st.sampled_from(candidates))
            qualified = [
                r for r in ROLES if self._roles(r) & set(self.definition.transitions[step].by)
            ]
            pool = qualified if qualified and data.draw(st.integers(0, 3)) else ROLES
            self._attempt(
                data.draw(st.sampled_from(pool)),
                step,
                data.draw(st.sampled_from([None, "Begründung"])),
            )

        def _roles(self, role):
            roles = GLOBAL[role] | IN_BODY[self.body_short][role]
            return roles | {"author"} if role == self.author else roles

        def _attempt(self, role, step, comment):
            t = self.definition.transitions.get(step)
            roles = self._roles(role)
            poll = polls.results.get(("paper", self.paper_id))
            guard_ok = {
                None: True,
                "has_text": bool(self.text),
                "poll_passed": poll is True,
                "poll_failed": poll is False,
            }
            expected = (
                t is not None
                and self.state in t.from_states
                and bool(roles & set(t.by))
                and guard_ok[t.when]
                and not (t.comment == "required" and not comment)
            )
            db.session.expire_all()
            paper = db.session.get(Paper, self.paper_id)
            offered = {a.transition.name for a in services.available_transitions(user(role), paper)}
            if t is not None and t.comment != "required":
                assert (step in offered) == expected
            try:
                services.fire(user(role), paper, step, comment=comment)
            except services.WorkflowError:
                assert not expected, f"{role} could not fire {step} from {self.state}"
            else:
                assert expected, f"{role} fired {step} from {self.state} against the rules"
                assert t is not None
                self.state = t.to
                self.applied += 1

        @invariant()
        def state_is_allowed_and_audited(self):
            if not hasattr(self, "paper_id"):
                return
            db.session.expire_all()
            paper = db.session.get(Paper, self.paper_id)
            assert paper.state == self.state
            assert paper.state in self.definition.states
            assert paper.version == self.applied
            assert self._count_events() == self.applied

    PaperMachine.TestCase.settings = settings(
        max_examples=30,
        stateful_step_count=30,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    from hypothesis.stateful import run_state_machine_as_test

    run_state_machine_as_test(PaperMachine, settings=PaperMachine.TestCase.settings)
    assert verify_chain() is None
