// The live transcript: finals in speakers' colours, provisional partials, search,
// auto-scroll that stops when the reader scrolls up, and a "jump to live" button.

import { useEffect, useLayoutEffect, useRef, useState } from "react";

import type { Segment } from "../api/types";
import {
  type TranscriptState,
  formatTime,
  highlight,
  matches,
  speakerColour,
  speakerKey,
  splitPartial,
} from "../live/transcript";

interface Props {
  transcript: TranscriptState;
  /** A segment to show and highlight (a link to a moment). */
  focusSegment: string | null;
  /** Member user ids in a fixed order: each gets their own colour. */
  members: string[];
}

export function TranscriptView({ transcript, focusSegment, members }: Props) {
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
        <h2 id="transcript-heading">Transcript</h2>
        <label className="search">
          <span className="visually-hidden">Search the transcript</span>
          <input type="search" placeholder="Search the transcript" value={query} onChange={(e) => setQuery(e.target.value)} />
        </label>
      </div>
      {searching && (
        <p className="meta" role="status">
          {finals.length === 1 ? "1 match" : `${finals.length} matches`} for “{query.trim()}”
        </p>
      )}
      <div className="transcript" ref={scroller} onScroll={onScroll} tabIndex={0} aria-label="Transcript text">
        {transcript.finals.length === 0 && partials.length === 0 && (
          <p className="meta empty">Nothing said yet. Start your microphone and speak.</p>
        )}
        <div role="log" aria-live="polite" aria-relevant="additions" aria-label="Final transcript">
          {finals.map((segment) => (
            <FinalSegment key={segment.id} segment={segment} query={query} highlighted={segment.id === focusSegment} members={members} />
          ))}
        </div>
        {!searching && (
          <div className="partials" aria-hidden="true">
            {partials.map((segment) => (
              <PartialSegment key={segment.stream_id} segment={segment} members={members} />
            ))}
          </div>
        )}
      </div>
      {!following && !searching && (
        <button type="button" className="jump-live" onClick={jumpToLive}>
          Jump to live ↓
        </button>
      )}
    </section>
  );
}

function Speaker({ segment, members }: { segment: Segment; members: string[] }) {
  return (
    <span className="speaker" style={{ color: speakerColour(speakerKey(segment), members) }}>
      {segment.speaker || "Unknown speaker"}
    </span>
  );
}

interface SegmentProps {
  segment: Segment;
  members: string[];
}

function FinalSegment({ segment, query, highlighted, members }: SegmentProps & { query: string; highlighted: boolean }) {
  return (
    <article
      id={`seg-${segment.id}`}
      className={`segment segment-final${highlighted ? " segment-highlighted" : ""}`}
      data-segment-id={segment.id}
      data-stream-id={segment.stream_id}
      tabIndex={-1}
      style={{ borderLeftColor: speakerColour(speakerKey(segment), members) }}
    >
      <header>
        <Speaker segment={segment} members={members} />
        <time className="meta">{formatTime(segment.meeting_start ?? segment.start)}</time>
      </header>
      <p>
        {highlight(segment.text.trim(), query).map((part, i) =>
          part.match ? <mark key={i}>{part.text}</mark> : <span key={i}>{part.text}</span>,
        )}
      </p>
    </article>
  );
}

function PartialSegment({ segment, members }: SegmentProps) {
  const { stable, provisional } = splitPartial(segment);
  return (
    <article className="segment segment-partial" data-stream-id={segment.stream_id} style={{ borderLeftColor: speakerColour(speakerKey(segment), members) }}>
      <header>
        <Speaker segment={segment} members={members} />
        <span className="meta">speaking…</span>
      </header>
      <p>
        {stable && <span className="words-stable">{stable} </span>}
        {provisional && <span className="words-provisional">{provisional}</span>}
      </p>
    </article>
  );
}
