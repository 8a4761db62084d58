// The live transcript: finals in speakers' colours, provisional partials, search,
// auto-scroll that stops when the reader scrolls up, and a "jump to live" button.

import { type FormEvent, useEffect, useLayoutEffect, useRef, useState } from "react";
import { useTranslation } from "react-i18next";

import type { Segment, SegmentHistory } from "../api/types";
import { correctSegment, renameSpeaker, segmentHistory } from "../api/vori";
import {
  type TranscriptState,
  formatTime,
  highlight,
  labelKey,
  matches,
  meetingTime,
  speakerColour,
  speakerKey,
  splitPartial,
  voicelessRoomPartial,
} from "../live/transcript";
import type { SegmentPlayback } from "../playback/usePlayback";

interface Props {
  transcript: TranscriptState;
  /** A segment to show and highlight (a link to a moment). */
  focusSegment: string | null;
  /** Member user ids in a fixed order: each gets their own colour. */
  members: string[];
  /** With a meeting id, each final line can be corrected and each speaker renamed. */
  meetingId?: string;
  onCorrected?: (segment: Segment) => void;
  onSpeakerRenamed?: (key: string, speaker: string) => void;
  /** Where the recording is kept: a play control per line, and the playing line marked. */
  playback?: SegmentPlayback;
  /** Streams known to be room microphones before any of their lines has a voice. */
  roomStreams?: string[];
}

interface Editing {
  meetingId: string;
  onCorrected: (segment: Segment) => void;
  onSpeakerRenamed: (key: string, speaker: string) => void;
}

export function TranscriptView({
  transcript,
  focusSegment,
  members,
  meetingId,
  onCorrected,
  onSpeakerRenamed,
  playback,
  roomStreams,
}: Props) {
  const { t } = useTranslation();
  const editing: Editing | null =
    meetingId && onCorrected && onSpeakerRenamed ? { meetingId, onCorrected, onSpeakerRenamed } : null;
  const scroller = useRef<HTMLDivElement>(null);
  const [following, setFollowing] = useState(true);
  const [query, setQuery] = useState("");
  const searching = query.trim().length > 0;
  const finals = searching ? transcript.finals.filter((s) => matches(s, query)) : transcript.finals;
  const partials = Object.values(transcript.partials);

  // Follow the live end while the reader is there; leave them alone when they scroll up.
  useLayoutEffect(() => {
    const element = scroller.current;
    if (element && following && !searching) element.scrollTop = element.scrollHeight;
  }, [transcript, following, searching]);

  useEffect(() => {
    if (!focusSegment) return;
    const element = document.getElementById(`seg-${focusSegment}`);
    if (!element) return;
    setFollowing(false);
    element.scrollIntoView({ block: "center" });
    element.focus({ preventScroll: true });
  }, [focusSegment, transcript.finals.length]);

  function onScroll() {
    const element = scroller.current;
    if (!element) return;
    const atEnd = element.scrollHeight - element.scrollTop - element.clientHeight < 48;
    setFollowing(atEnd);
  }

  function jumpToLive() {
    setQuery("");
    setFollowing(true);
    const element = scroller.current;
    if (element) element.scrollTop = element.scrollHeight;
  }

  return (
    <section className="panel transcript-panel" aria-labelledby="transcript-heading">
      <div className="panel-head">
        <h2 id="transcript-heading">{t("transcript.heading")}</h2>
        <label className="search">
          <span className="visually-hidden">{t("transcript.search")}</span>
          <input type="search" placeholder={t("transcript.search")} value={query} onChange={(e) => setQuery(e.target.value)} />
        </label>
      </div>
      {searching && (
        <p className="meta" role="status">
          {t("transcript.matches", { count: finals.length, query: query.trim() })}
        </p>
      )}
      <div className="transcript" ref={scroller} onScroll={onScroll} tabIndex={0} aria-label={t("transcript.text")}>
        {transcript.finals.length === 0 && partials.length === 0 && (
          <p className="meta empty">{t("transcript.empty")}</p>
        )}
        <div role="log" aria-live="polite" aria-relevant="additions" aria-label={t("transcript.log")}>
          {finals.map((segment) => (
            <FinalSegment
              key={segment.id}
              segment={segment}
              query={query}
              highlighted={segment.id === focusSegment}
              members={members}
              editing={editing}
              playback={playback}
            />
          ))}
        </div>
        {!searching && (
          <div className="partials" aria-hidden="true">
            {partials.map((segment) => (
              <PartialSegment
                key={segment.stream_id}
                segment={segment}
                room={voicelessRoomPartial(transcript, segment, roomStreams)}
                members={members}
              />
            ))}
          </div>
        )}
      </div>
      {!following && !searching && (
        <button type="button" className="jump-live" onClick={jumpToLive}>
          {t("transcript.jump")}
        </button>
      )}
    </section>
  );
}

function Speaker({ segment, members }: { segment: Segment; members: string[] }) {
  const { t } = useTranslation();
  return (
    <span className="speaker" style={{ color: speakerColour(speakerKey(segment), members) }}>
      {segment.speaker || t("transcript.unknown")}
    </span>
  );
}

interface SegmentProps {
  segment: Segment;
  members: string[];
}

function FinalSegment({
  segment,
  query,
  highlighted,
  members,
  editing,
  playback,
}: SegmentProps & {
  query: string;
  highlighted: boolean;
  editing: Editing | null;
  playback?: SegmentPlayback;
}) {
  const { t } = useTranslation();
  const [mode, setMode] = useState<"read" | "text" | "speaker">("read");
  const [draft, setDraft] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const [history, setHistory] = useState<SegmentHistory | null>(null);

  function open(next: "text" | "speaker") {
    setDraft(next === "text" ? segment.text.trim() : segment.speaker ?? "");
    setError(null);
    setMode(next);
  }

  async function save(event: FormEvent) {
    event.preventDefault();
    if (!editing) return;
    const value = draft.trim();
    if (!value) {
      setError(mode === "text" ? t("transcript.emptyLine") : t("transcript.emptyName"));
      return;
    }
    setSaving(true);
    setError(null);
    try {
      if (mode === "text") {
        const history = await correctSegment(editing.meetingId, segment.id, value);
        const latest = history.versions[history.versions.length - 1];
        if (latest && latest.version > 0) {
          editing.onCorrected({
            ...segment,
            text: history.text,
            edited: true,
            original_text: history.original_text,
            correction_version: latest.version,
          });
        }
      } else {
        // A room voice is renamed by its own id: only its lines, not the whole microphone's.
        await renameSpeaker(editing.meetingId, labelKey(segment), value);
        editing.onSpeakerRenamed(labelKey(segment), value);
      }
      setMode("read");
    } catch (failure) {
      setError(failure instanceof Error ? failure.message : String(failure));
    } finally {
      setSaving(false);
    }
  }

  const label = mode === "text" ? t("transcript.correctedLine") : t("transcript.speakerName");
  return (
    <article
      id={`seg-${segment.id}`}
      className={`segment segment-final${highlighted ? " segment-highlighted" : ""}${segment.edited ? " segment-edited" : ""}${playback?.playingId === segment.id ? " segment-playing" : ""}`}
      aria-current={playback?.playingId === segment.id ? "true" : undefined}
      data-segment-id={segment.id}
      data-stream-id={segment.stream_id}
      tabIndex={-1}
      style={{ borderLeftColor: speakerColour(speakerKey(segment), members) }}
    >
      <header>
        <Speaker segment={segment} members={members} />
        <time className="meta">{formatTime(meetingTime(segment))}</time>
        {segment.edited && (
          <span className="meta edited-mark" title={t("transcript.transcribedAs", { text: segment.original_text ?? "" })}>
            {t("transcript.edited")}
          </span>
        )}
        {playback?.canPlay(segment) && mode === "read" && (
          <button
            type="button"
            className="button-quiet button-small play-segment"
            onClick={() => playback.play(segment)}
            aria-label={t("transcript.playFrom", { at: formatTime(meetingTime(segment)) })}
          >
            {t("transcript.play")}
          </button>
        )}
        {editing && mode === "read" && (
          <span className="segment-actions">
            <button
              type="button"
              className="button-quiet button-small"
              onClick={() => open("text")}
              aria-label={t("transcript.editAt", { at: formatTime(meetingTime(segment)) })}
            >
              {t("transcript.edit")}
            </button>
            <button
              type="button"
              className="button-quiet button-small"
              onClick={() => open("speaker")}
              aria-label={t("transcript.renameLabel", { name: segment.speaker || t("transcript.unknown") })}
            >
              {t("transcript.rename")}
            </button>
          </span>
        )}
      </header>
      {mode === "read" ? (
        <p>
          {highlight(segment.text.trim(), query).map((part, i) =>
            part.match ? <mark key={i}>{part.text}</mark> : <span key={i}>{part.text}</span>,
          )}
        </p>
      ) : (
        <form className="segment-edit" onSubmit={save}>
          <label>
            <span className="visually-hidden">{label}</span>
            {mode === "text" ? (
              <textarea value={draft} onChange={(e) => setDraft(e.target.value)} rows={2} maxLength={5000} autoFocus />
            ) : (
              <input value={draft} onChange={(e) => setDraft(e.target.value)} maxLength={200} autoFocus />
            )}
          </label>
          <button type="submit" className="button-primary button-small" disabled={saving}>
            {saving ? t("transcript.saving") : t("transcript.save")}
          </button>
          <button type="button" className="button-small" onClick={() => setMode("read")} disabled={saving}>
            {t("transcript.cancel")}
          </button>
          {error && (
            <p className="notice notice-error" role="alert">
              {error}
            </p>
          )}
        </form>
      )}
      {segment.edited && segment.original_text && mode === "read" && (
        <details
          className="original-text"
          onToggle={(event) => {
            if (!(event.currentTarget as HTMLDetailsElement).open || !editing) return;
            segmentHistory(editing.meetingId, segment.id).then(setHistory, () => setHistory(null));
          }}
        >
          <summary>{t("transcript.original")}</summary>
          <p className="meta">{segment.original_text}</p>
          {history && history.versions.length > 2 && (
            <ol className="meta correction-history" aria-label={t("transcript.earlier")}>
              {history.versions.slice(1, -1).map((version) => (
                <li key={version.version}>
                  {version.edited_by ?? t("transcript.someone")}: {version.text}
                </li>
              ))}
            </ol>
          )}
        </details>
      )}
    </article>
  );
}

/** `room`: a room microphone's utterance, whose voice is told only with its final. */
function PartialSegment({ segment, room, members }: SegmentProps & { room: boolean }) {
  const { t } = useTranslation();
  const { stable, provisional } = splitPartial(segment);
  return (
    <article className="segment segment-partial" data-stream-id={segment.stream_id} style={{ borderLeftColor: speakerColour(speakerKey(segment), members) }}>
      <header>
        {room ? (
          <span className="speaker">{t("transcript.roomSpeaking")}</span>
        ) : (
          <>
            <Speaker segment={segment} members={members} />
            <span className="meta">{t("transcript.speaking")}</span>
          </>
        )}
      </header>
      <p>
        {stable && <span className="words-stable">{stable} </span>}
        {provisional && <span className="words-provisional">{provisional}</span>}
      </p>
    </article>
  );
}
