// The meeting room: your microphone, everyone's live transcript, the rolling summary and
// action items, participants, exports, and ending, renaming or deleting the meeting.

import { useCallback, useEffect, useReducer, useRef, useState } from "react";
import { useTranslation } from "react-i18next";
import { Link, useNavigate, useParams, useSearchParams } from "react-router";

import { LiveTalkTime, useMeetingAnalytics } from "../analytics/LiveTalkTime";
import { errorText } from "../api/client";
import type { LiveEvent, Segment, Summary } from "../api/types";
import { clientConfig, endMeeting, getMeeting, normaliseSummary, summary as loadSummary, transcript } from "../api/vori";
import { type CaptureHandle, CapturePanel } from "../components/CapturePanel";
import { Exports } from "../components/Exports";
import { InviteForm } from "../components/InviteForm";
import { LagBanner, useTranscriptLag } from "../components/LagBanner";
import { MeetingOwnerActions, MeetingPeople, isOwner } from "../components/MeetingAdmin";
import { MeetingNotFound, notFoundAsNull } from "../components/MeetingNotFound";
import { MeetingTasks } from "../components/MeetingTasks";
import { MeetingVocabulary } from "../components/MeetingVocabulary";
import { ErrorMessage } from "../components/Notice";
import { Player } from "../components/Player";
import { RecordingUploads } from "../components/RecordingUploads";
import { type CardLink, SummaryView } from "../components/SummaryView";
import { TranscriptImport } from "../components/TranscriptImport";
import { TranscriptView } from "../components/TranscriptView";
import { useLoad, usePageTitle } from "../hooks";
import {
  type TranscriptState,
  applyCorrection,
  applyReplacement,
  applySegment,
  applySpeaker,
  emptyTranscript,
  loadFinals,
  segmentOf,
} from "../live/transcript";
import { withUpsertedCard } from "../live/cardLinks";
import { REMOVED_MESSAGE } from "../live/events";
import { useMeetingEvents } from "../live/useMeetingEvents";
import { RecordingRetention } from "../playback/RecordingRetention";
import { usePlayback } from "../playback/usePlayback";
import { RECORDING_EVENTS } from "../uploads/state";
import { useUploads } from "../uploads/useUploads";

type Action =
  | { type: "segment"; segment: Segment }
  | { type: "stored"; segments: Segment[] }
  | { type: "corrected"; segment: Segment }
  // `key`: a stream id, or a room voice's speaker_id (live/transcript.ts labelKey).
  | { type: "speaker"; key: string; speaker: string }
  | { type: "replaced"; jobId: string; streams: string[] };

function reduce(state: TranscriptState, action: Action): TranscriptState {
  switch (action.type) {
    case "segment":
      return applySegment(state, action.segment);
    case "corrected":
      return applyCorrection(state, action.segment);
    case "speaker":
      return applySpeaker(state, action.key, action.speaker);
    case "replaced":
      return applyReplacement(state, action.jobId, action.streams);
    default:
      return loadFinals(state, action.segments);
  }
}

export function MeetingRoom() {
  const { t } = useTranslation();
  const { meetingId = "" } = useParams();
  const [params] = useSearchParams();
  const navigate = useNavigate();
  // null: no such meeting, or not one of the caller's (the server answers both with 404).
  const meeting = useLoad(() => getMeeting(meetingId).catch(notFoundAsNull), [meetingId]);
  const config = useLoad(clientConfig, []);
  const heading = usePageTitle(meeting.data?.title ?? t("room.meeting"));
  const [state, dispatch] = useReducer(reduce, emptyTranscript);
  const playback = usePlayback(meetingId, state.finals);
  const [summary, setSummary] = useState<Summary | null>(null);
  const [cards, setCards] = useState<Record<string, CardLink>>({});
  const [online, setOnline] = useState<Record<string, string>>({});
  const [ended, setEnded] = useState(false);
  const [endError, setEndError] = useState<string | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const capture = useRef<CaptureHandle | null>(null);
  // This browser's own room microphone: its partials name no participant from the start.
  const [roomStream, setRoomStream] = useState<string | null>(null);
  const summaryTimer = useRef<number | undefined>(undefined);
  // The stored summary links each action item to its card; refresh it after live changes.
  const refreshSummary = useCallback(() => {
    window.clearTimeout(summaryTimer.current);
    summaryTimer.current = window.setTimeout(() => {
      loadSummary(meetingId).then(
        (stored) => stored && setSummary(stored),
        () => undefined, // the live copy stays; the next change retries
      );
    }, 300);
  }, [meetingId]);
  const onHandle = useCallback((handle: CaptureHandle | null) => {
    capture.current = handle;
  }, []);

  const onCorrected = useCallback((segment: Segment) => dispatch({ type: "corrected", segment }), []);
  const onSpeakerRenamed = useCallback(
    (key: string, speaker: string) => dispatch({ type: "speaker", key, speaker }),
    [],
  );
  const [lag, onLag] = useTranscriptLag();
  const uploads = useUploads(meeting.data === null ? null : meetingId);
  const onUploadEvent = uploads.onEvent;
  const onEvent = useCallback((event: LiveEvent) => {
    if (RECORDING_EVENTS.includes(event.type)) onUploadEvent(event);
    switch (event.type) {
      case "transcript.lag":
        onLag(event);
        break;
      case "transcript.partial":
      case "transcript.final": {
        const segment = segmentOf(event);
        if (segment) dispatch({ type: "segment", segment });
        break;
      }
      case "transcript.corrected": {
        const segment = segmentOf(event);
        if (segment) dispatch({ type: "corrected", segment });
        break;
      }
      case "speaker.renamed":
        if (typeof event.stream_id === "string" && typeof event.speaker === "string") {
          dispatch({ type: "speaker", key: event.stream_id, speaker: event.speaker });
        }
        break;
      case "transcript.replaced":
        if (typeof event.job_id === "string" && Array.isArray(event.replaced_streams)) {
          dispatch({ type: "replaced", jobId: event.job_id, streams: event.replaced_streams.map(String) });
        }
        break;
      case "summary.updated":
        setSummary(normaliseSummary((event.summary ?? event) as Record<string, unknown>));
        refreshSummary();
        break;
      case "task.upserted": {
        setCards((current) => withUpsertedCard(current, event));
        refreshSummary();
        break;
      }
      case "participant.joined":
      case "participant.left": {
        const who = (event.participant ?? event) as Record<string, unknown>;
        const id = String(who.id ?? who.participant_id ?? "");
        const name = String(who.name ?? who.participant_name ?? id);
        if (!id) break;
        setOnline((current) => {
          const next = { ...current };
          if (event.type === "participant.joined") next[id] = name;
          else delete next[id];
          return next;
        });
        break;
      }
      case "meeting.ended":
        setEnded(true);
        break;
    }
  }, [refreshSummary, onLag, onUploadEvent]);
  const live = useMeetingEvents(meeting.data === null ? null : meetingId, onEvent);
  const gone = live.state === "gone";

  useEffect(() => {
    // Removed from the meeting (or it was deleted): the microphone stops with the access.
    if (gone) void capture.current?.stop();
  }, [gone]);

  useEffect(() => {
    let cancelled = false;
    Promise.all([transcript(meetingId), loadSummary(meetingId)]).then(
      ([segments, stored]) => {
        if (cancelled) return;
        dispatch({ type: "stored", segments });
        setSummary((current) => current ?? stored);
      },
      (reason: unknown) => !cancelled && setLoadError(errorText(reason)),
    );
    return () => {
      cancelled = true;
    };
  }, [meetingId]);

  const isEnded = ended || !!meeting.data?.ended_at;
  // Live talk time from the streaming job, polled while the meeting runs.
  const analytics = useMeetingAnalytics(meeting.data ? meetingId : null, !!meeting.data && !isEnded);

  async function end() {
    if (!window.confirm(t("room.confirmEnd"))) return;
    setEndError(null);
    try {
      await capture.current?.stop();
      await endMeeting(meetingId);
      setEnded(true);
      navigate(`/meetings/${meetingId}/summary`);
    } catch (reason) {
      setEndError(t("room.endFailed", { reason: errorText(reason) }));
    }
  }

  // A 404 for the meeting, or a 4404 from the events socket, whichever comes first.
  const removed = gone && live.message === REMOVED_MESSAGE;
  if (meeting.data === null || gone) return <MeetingNotFound heading={heading} removed={removed} />;

  if (meeting.error) {
    return (
      <div className="page">
        <h1 ref={heading} tabIndex={-1} className="meeting-heading">
          {t("room.meeting")}
        </h1>
        <ErrorMessage>{meeting.error}</ErrorMessage>
        <p>
          <Link to="/">{t("room.back")}</Link>
        </p>
      </div>
    );
  }

  const data = meeting.data;
  const members = data?.members ?? [];
  const memberIds = members.map((member) => member.user_id);
  // A meeting without a chosen board gets one with its first task.
  const boardId = data?.board_id ?? Object.values(cards)[0]?.boardId;
  return (
    <div className="page room">
      <div className="room-head">
        <div>
          <h1 ref={heading} tabIndex={-1} className="meeting-heading">
            {data?.title ?? t("room.loading")}
          </h1>
          <p className="meta">
            {data && `${data.language.toUpperCase()} · `}
            {isEnded ? t("room.ended") : <LiveBadge state={live.state} />}
          </p>
        </div>
        <div className="room-actions">
          <Link to={`/meetings/${meetingId}/summary`}>{t("room.summaryPage")}</Link>
          <Link to={`/meetings/${meetingId}/analytics`}>{t("room.analytics")}</Link>
          {boardId && <Link to={`/boards/${boardId}`}>{t("room.board")}</Link>}
          {!isEnded && (
            <button type="button" className="button-danger" onClick={() => void end()}>
              {t("room.end")}
            </button>
          )}
          {data && (
            <MeetingOwnerActions
              key={data.title}
              meeting={data}
              onRenamed={(renamed) => meeting.setData(renamed)}
              onDeleted={() => navigate("/", { replace: true })}
            />
          )}
        </div>
      </div>
      {data && (
        <MeetingVocabulary
          key={(data.vocabulary ?? []).join("\n")}
          meeting={data}
          onSaved={(saved) => meeting.setData(saved)}
        />
      )}
      {data && <MeetingTasks meeting={data} onSaved={(saved) => meeting.setData(saved)} />}
      {live.message && live.state !== "live" && (
        <p className="banner banner-warning" role="status">
          {live.message}
        </p>
      )}
      {!isEnded && <LagBanner lag={lag} />}
      <ErrorMessage>{endError ?? loadError ?? config.error}</ErrorMessage>
      <div className="room-grid">
        <div className="room-main">
          {!isEnded && (
            <CapturePanel
              meetingId={meetingId}
              config={config.data}
              disabled={isEnded}
              onHandle={onHandle}
              onRoomStream={setRoomStream}
            />
          )}
          <Player playback={playback} />
          <TranscriptView
            transcript={state}
            focusSegment={params.get("at")}
            members={memberIds}
            meetingId={meetingId}
            onCorrected={onCorrected}
            onSpeakerRenamed={onSpeakerRenamed}
            playback={playback}
            roomStreams={roomStream ? [roomStream] : undefined}
          />
          <Exports meetingId={meetingId} title={data?.title ?? t("room.exportName")} />
          {data?.owner_id && <TranscriptImport meetingId={meetingId} ownerId={data.owner_id} onImported={meeting.reload} />}
          {data && <RecordingUploads uploads={uploads} isOwner={isOwner(data)} />}
        </div>
        <aside className="room-side" aria-label={t("room.side")}>
          <section className="panel" aria-labelledby="summary-heading">
            <h2 id="summary-heading">{t("room.summary")}</h2>
            <SummaryView meetingId={meetingId} summary={summary} cards={cards} boardId={boardId} />
          </section>
          <section className="panel" aria-labelledby="talk-heading">
            <h2 id="talk-heading">{t("room.talkTime")}</h2>
            <LiveTalkTime
              live={analytics.data?.live}
              headingId="talk-heading"
              empty={isEnded ? t("room.noTalkEnded") : t("room.noTalkYet")}
            />
          </section>
          {data?.owner_id && <RecordingRetention meetingId={meetingId} ownerId={data.owner_id} playback={playback} />}
          <section className="panel" aria-labelledby="people-heading">
            <h2 id="people-heading">{t("room.people")}</h2>
            {data && (
              <MeetingPeople
                meeting={data}
                online={online}
                onChanged={meeting.reload}
                onLeft={() => navigate("/", { replace: true })}
              />
            )}
            {!isEnded && <InviteForm meetingId={meetingId} onInvited={meeting.reload} />}
          </section>
        </aside>
      </div>
    </div>
  );
}

function LiveBadge({ state }: { state: string }) {
  const { t } = useTranslation();
  const text =
    state === "live"
      ? t("room.live")
      : state === "failed" || state === "gone"
        ? t("room.stopped")
        : t("room.connecting");
  return (
    <span className={`live-badge live-${state}`} data-state={state}>
      {text}
    </span>
  );
}
