"""`vori up` gives up on a service that keeps crashing, and says so.

A SIGKILLed service coming back while the others keep running is checked on the real
stack, in tests/integration/test_vori_up.py (its second start); here the supervisor is
driven with small real processes to prove the give-up path without a stack.
"""

from __future__ import annotations

import os
import sys
import time

import pytest

from vori.local.restarts import RestartPolicy
from vori.local.supervisor import Supervisor


def test_a_service_that_keeps_crashing_stops_the_stack_with_a_clear_message(
    capsys: pytest.CaptureFixture[str],
) -> None:
    said: list[str] = []
    supervisor = Supervisor(RestartPolicy(3, 60, first_delay_s=0.05), said.append)
    supervisor.add("crasher", [sys.executable, "-c", "import sys; sys.exit(3)"], os.environ)
    sleeper = [sys.executable, "-c", "import time; time.sleep(60)"]
    supervisor.add("steady", sleeper, os.environ)
    started = time.monotonic()
    code = supervisor.run()
    assert code == 1
    assert time.monotonic() - started < 10, "SIGTERM must stop the steady one quickly"
    assert said[:4] == [
        "crasher exited with code 3; restarting in 0.05 s (crash 1 of 3 allowed within 60 s)",
        f"crasher restarted (pid {said[1].rsplit(' ', 1)[1]}",
        "crasher exited with code 3; restarting in 0.1 s (crash 2 of 3 allowed within 60 s)",
        f"crasher restarted (pid {said[3].rsplit(' ', 1)[1]}",
    ]
    assert said[4].startswith("crasher exited with code 3; it crashed 3 times within 60 s")
    assert "gives up and stops everything" in said[4]
    assert supervisor.pid("steady") is None
