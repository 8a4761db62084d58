// Subscribe a component to a meeting's live events for as long as it is mounted.

import { useEffect, useRef, useState } from "react";

import { EXPIRED_NOTICE, endSession, getToken } from "../api/session";
import type { LiveEvent } from "../api/types";
import { i18next } from "../i18n";
import { EventsSocket, type EventsState } from "./events";

export function useMeetingEvents(
  meetingId: string | null | undefined,
  onEvent: (event: LiveEvent) => void,
): { state: EventsState; message?: string } {
  const [status, setStatus] = useState<{ state: EventsState; message?: string }>({ state: "connecting" });
  const handler = useRef(onEvent);
  useEffect(() => {
    handler.current = onEvent;
  });

  useEffect(() => {
    if (!meetingId) return;
    const socket = new EventsSocket({
      meetingId,
      token: getToken,
      onEvent: (event) => handler.current(event),
      onState: (state, message) => setStatus({ state, message }),
      onUnauthorized: (reason) =>
        endSession(/expired/i.test(reason) ? EXPIRED_NOTICE : i18next.t("messages.signInAgain", { reason })),
    });
    socket.start();
    return () => socket.close();
  }, [meetingId]);

  return status;
}
