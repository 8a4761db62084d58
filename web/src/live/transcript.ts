// The live transcript as pure state: stored finals in order, the latest partial per stream,
// and helpers to split a partial into its stable and provisional words.

import type { LiveEvent, Segment } from "../api/types";

export interface TranscriptState {
  finals: Segment[];
  /** The newest partial of each stream, until its final replaces it. */
  partials: Record<string, Segment>;
  /** Speaker names members gave live, by label key (stored ones come with the segments). */
  speakers?: Record<string, string>;
}

export const emptyTranscript: TranscriptState = { finals: [], partials: {} };

/** A segment carried by a live event: nested under `segment`, or the event itself. */
export function segmentOf(event: LiveEvent): Segment | null {
  const candidate = (event.segment ?? event) as Partial<Segment>;
  if (typeof candidate.id !== "string" || typeof candidate.text !== "string") return null;
  return {
    ...(candidate as Segment),
    stream_id: String(candidate.stream_id ?? ""),
    final: event.type === "transcript.final" ? true : event.type === "transcript.partial" ? false : !!candidate.final,
  };
}

/** Stored finals from the REST API go first; live finals not among them keep their order. */
export function loadFinals(state: TranscriptState, segments: Segment[]): TranscriptState {
  const stored = segments.map((segment) => ({ ...segment, final: true }));
  const ids = new Set(stored.map((segment) => segment.id));
  const partials = { ...state.partials };
  for (const segment of stored) {
    const partial = partials[segment.stream_id];
    if (partial && partial.id === segment.id) delete partials[segment.stream_id];
  }
  // The stored transcript names each speaker as the meeting labelled it: live finals of
  // those speakers (which carry the transcribed name) show the same; live renames win.
  const labels: Record<string, string> = {};
  for (const segment of stored) if (segment.speaker) labels[labelKey(segment)] = segment.speaker;
  return {
    ...state,
    finals: [...stored, ...state.finals.filter((f) => !ids.has(f.id))],
    partials,
    speakers: { ...labels, ...state.speakers },
  };
}

/**
 * A live segment on the meeting clock. The gateway sends `meeting_start` and `meeting_end`
 * as the transcript API does (gateway/meeting_clock.py); one sent before the gateway knew
 * its stream takes the offset of a line of the same stream that has them. Without either,
 * it stays on its stream's clock.
 */
export function onMeetingClock(segment: Segment, finals: Segment[]): Segment {
  if (typeof segment.meeting_start === "number") return segment;
  const known = finals.find((f) => f.stream_id === segment.stream_id && typeof f.meeting_start === "number");
  if (!known) return segment;
  const offset = known.meeting_start! - known.start;
  const round = (seconds: number) => Math.round((offset + seconds) * 1000) / 1000;
  return { ...segment, meeting_start: round(segment.start), meeting_end: round(segment.end) };
}

/** Where a line is said: the meeting clock when known, else its stream's own. */
export function meetingTime(segment: Segment): number {
  return segment.meeting_start ?? segment.start;
}

/** The room-microphone voice prefix of speaker ids (vori.events.room_speaker_id). */
const ROOM_VOICE = "#room-";

/** Whether a stream is a room microphone: one of its lines was given a room voice. */
export function isRoomStream(state: TranscriptState, streamId: string): boolean {
  return state.finals.some((f) => f.stream_id === streamId && !!f.speaker_id?.startsWith(streamId + ROOM_VOICE));
}

/**
 * Whether a partial is a room microphone's utterance without a voice yet: its voice is
 * told only with its final, so the participant's name it carries would be wrong. A stream
 * is known as a room microphone from its first voiced final, or from `roomStreams` (this
 * browser's own room microphone) at once.
 */
export function voicelessRoomPartial(state: TranscriptState, partial: Segment, roomStreams: string[] = []): boolean {
  return !partial.speaker_id && (roomStreams.includes(partial.stream_id) || isRoomStream(state, partial.stream_id));
}

export function applySegment(state: TranscriptState, incoming: Segment): TranscriptState {
  const label = state.speakers?.[labelKey(incoming)];
  const timed = onMeetingClock(incoming, state.finals);
  const segment = label ? { ...timed, speaker: label } : timed;
  if (!segment.final) {
    const current = state.partials[segment.stream_id];
    // A late partial of an utterance already final, or an older revision, changes nothing.
    if (state.finals.some((f) => f.id === segment.id)) return state;
    if (current && current.id === segment.id && (current.revision ?? 0) > (segment.revision ?? 0)) return state;
    return { ...state, partials: { ...state.partials, [segment.stream_id]: segment } };
  }
  const partials = { ...state.partials };
  const partial = partials[segment.stream_id];
  if (partial && (partial.id === segment.id || partial.start < segment.end)) delete partials[segment.stream_id];
  const index = state.finals.findIndex((f) => f.id === segment.id);
  // An empty final withdraws what its partials showed: the utterance was not speech.
  if (!segment.text.trim()) return { ...state, finals: state.finals.filter((f) => f.id !== segment.id), partials };
  const finals = [...state.finals];
  const known = index >= 0 ? finals[index]! : null;
  // A replay of the transcribed final never undoes a member's correction.
  if (known?.edited && !segment.edited) return { ...state, partials };
  if (index >= 0) finals[index] = segment;
  else finals.splice(insertionIndex(finals, segment), 0, segment);
  return { ...state, finals, partials };
}

/** A member corrected a final's text: the newest version wins, the original stays with it. */
export function applyCorrection(state: TranscriptState, corrected: Segment): TranscriptState {
  const index = state.finals.findIndex((f) => f.id === corrected.id);
  if (index < 0) return state;
  const known = state.finals[index]!;
  if ((known.correction_version ?? 0) > (corrected.correction_version ?? 0)) return state;
  const finals = [...state.finals];
  finals[index] = {
    ...known,
    text: corrected.text,
    edited: true,
    original_text: corrected.original_text ?? known.original_text ?? known.text,
    correction_version: corrected.correction_version,
    words: [],
  };
  return { ...state, finals };
}

const RETRANSCRIPTION_PREFIX = "retx:";

/** The re-transcription job of a stream (null for any other) and the archived stream it
 * transcribes again: `retx:{job}:{stream}` (vori.events.original_stream). */
export function originalStream(streamId: string): { job: string | null; stream: string } {
  if (!streamId.startsWith(RETRANSCRIPTION_PREFIX)) return { job: null, stream: streamId };
  const rest = streamId.slice(RETRANSCRIPTION_PREFIX.length);
  const colon = rest.indexOf(":");
  return colon < 0 ? { job: rest, stream: "" } : { job: rest.slice(0, colon), stream: rest.slice(colon + 1) };
}

/** `transcript.replaced`: the lines of the replaced streams go, live or of another job;
 * the job's own stay (vori.events.replaced_by_job). */
export function applyReplacement(state: TranscriptState, jobId: string, replacedStreams: string[]): TranscriptState {
  const replaced = new Set(replacedStreams);
  const gone = (streamId: string) => {
    const { job, stream } = originalStream(streamId);
    return replaced.has(stream) && job !== jobId;
  };
  const partials = Object.fromEntries(Object.entries(state.partials).filter(([stream]) => !gone(stream)));
  return { ...state, finals: state.finals.filter((f) => !gone(f.stream_id)), partials };
}

/** What a speaker label is keyed by (vori.events.TranscriptSegment.speaker_key): one voice
 * of a room microphone (`speaker_id`), else the stream. A rename (`PUT .../speakers`,
 * `speaker.renamed`) names this key in its `stream_id`. */
export function labelKey(segment: Segment): string {
  return segment.speaker_id ?? segment.stream_id;
}

/** A member named a speaker (a stream, or one room voice): every line whose label key it
 * is, and those still to come. */
export function applySpeaker(state: TranscriptState, key: string, speaker: string): TranscriptState {
  const finals = state.finals.map((f) => (labelKey(f) === key ? { ...f, speaker } : f));
  return { ...state, finals, speakers: { ...state.speakers, [key]: speaker } };
}

/** Finals are kept in meeting order; one that arrives late (another speaker's longer
 * utterance closes after a short reply) goes where it was said, not at the end. */
function insertionIndex(finals: Segment[], segment: Segment): number {
  const at = segment.meeting_start;
  if (typeof at !== "number") return finals.length;
  let index = finals.length;
  while (index > 0) {
    const before = finals[index - 1]!.meeting_start;
    if (typeof before !== "number" || before <= at) break;
    index -= 1;
  }
  return index;
}

/** A partial's text as its stable words (never change again) and its provisional tail. */
export function splitPartial(segment: Segment): { stable: string; provisional: string } {
  const text = segment.text.trim();
  const stable = (segment.stable_text ?? "").trim();
  if (!stable) return { stable: "", provisional: text };
  if (text.startsWith(stable)) return { stable, provisional: text.slice(stable.length).trim() };
  // The stable prefix is authoritative even if the newest hypothesis differs.
  const stableWords = stable.split(/\s+/).length;
  const words = text.split(/\s+/);
  return { stable, provisional: words.slice(stableWords).join(" ") };
}

export function matches(segment: Segment, query: string): boolean {
  const q = query.trim().toLowerCase();
  return !q || segment.text.toLowerCase().includes(q) || (segment.speaker ?? "").toLowerCase().includes(q);
}

/** Split text around case-insensitive matches of `query`, for highlighting. */
export function highlight(text: string, query: string): { text: string; match: boolean }[] {
  const q = query.trim();
  if (!q) return [{ text, match: false }];
  const parts: { text: string; match: boolean }[] = [];
  const lower = text.toLowerCase();
  const needle = q.toLowerCase();
  let at = 0;
  for (let found = lower.indexOf(needle); found >= 0; found = lower.indexOf(needle, at)) {
    if (found > at) parts.push({ text: text.slice(at, found), match: false });
    parts.push({ text: text.slice(found, found + q.length), match: true });
    at = found + q.length;
  }
  if (at < text.length) parts.push({ text: text.slice(at), match: false });
  return parts;
}

/** Colours with at least 4.5:1 contrast on white, one per speaker. */
const PALETTE = ["#1f5fbf", "#b3261e", "#1b7a3a", "#7e3fa8", "#9a4d00", "#00707a", "#a8285f", "#5a6400"];

/**
 * A speaker's colour: the meeting's members take the palette in member order (so the
 * first eight people never share a colour, and every page agrees); anyone else by hash.
 */
export function speakerColour(key: string, members: string[] = []): string {
  const index = members.indexOf(key);
  if (index >= 0) return PALETTE[index % PALETTE.length]!;
  let hash = 2166136261;
  for (let i = 0; i < key.length; i++) hash = Math.imul(hash ^ key.charCodeAt(i), 16777619);
  return PALETTE[(hash >>> 0) % PALETTE.length]!;
}

/** Whose colour a line takes: a room voice its own, a participant theirs. */
export function speakerKey(segment: Segment): string {
  return segment.speaker_id ?? segment.participant_id ?? segment.speaker ?? segment.stream_id;
}

export function formatTime(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = String(s % 60).padStart(2, "0");
  return h ? `${h}:${String(m).padStart(2, "0")}:${rest}` : `${m}:${rest}`;
}
