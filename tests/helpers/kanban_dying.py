"""`vori kanban` that SIGKILLs itself right after the database commit of a proposal that
holds a given task key, before the consumer stores the offset: a crash at the worst
moment, injected from the test side (production code has no such switch).

    python -m tests.helpers.kanban_dying TASK_KEY
"""

from __future__ import annotations

import logging
import os
import signal
import sys

from kanban.proposals import ProposalApplier, ProposalOutcome
from vori.cli.main import app
from vori.events import TaskProposal

log = logging.getLogger(__name__)


def _dying_after_commit(task_key: str) -> None:
    apply = ProposalApplier.apply

    def apply_then_die(
        self: ProposalApplier, proposal: TaskProposal, message_id: str
    ) -> ProposalOutcome:
        outcome = apply(self, proposal, message_id)  # its transaction has committed
        if any(item.task_key == task_key for item in proposal.items):
            log.warning("SIGKILL after committing the proposal with task %s", task_key)
            os.kill(os.getpid(), signal.SIGKILL)
        return outcome

    ProposalApplier.apply = apply_then_die  # type: ignore[method-assign]


if __name__ == "__main__":
    _dying_after_commit(sys.argv[1])
    app(["kanban"])
