"""A worker process for consumer-loop fault tests: `python -m tests.helpers.consumer_worker`.

Arguments: GROUP MEETING_ID MODE OUT_FILE. It consumes `meeting.events` with the shared
ConsumerLoop and looks only at events of MEETING_ID. MODE `die` appends `seen OFFSET`
and kills itself with SIGKILL inside the handler (before the offset can be committed);
MODE `record` appends `handled OFFSET` for each event and runs until SIGTERM.
"""

from __future__ import annotations

import os
import signal
import sys

from vori.events import MEETING_EVENTS, Event, MeetingEvent
from vori.kafka.consumer import ConsumerLoop, MessageContext
from vori.logs import configure_logging
from vori.settings import load_settings


def main() -> None:
    group, meeting_id, mode, out_file = sys.argv[1:5]
    settings = load_settings()
    configure_logging("WARNING")

    def handle(event: Event, context: MessageContext) -> None:
        if not isinstance(event, MeetingEvent) or event.meeting_id != meeting_id:
            return
        with open(out_file, "a") as out:
            out.write(f"{'seen' if mode == 'die' else 'handled'} {context.offset}\n")
            out.flush()
            os.fsync(out.fileno())
        if mode == "die":
            os.kill(os.getpid(), signal.SIGKILL)

    ConsumerLoop(settings.kafka, group, [MEETING_EVENTS], handle).run()


if __name__ == "__main__":
    main()
