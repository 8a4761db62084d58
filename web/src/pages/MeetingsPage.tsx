// The meetings I belong to: create one, invite people, open one.

import { type FormEvent, useState } from "react";
import { Link, useNavigate } from "react-router";

import { errorText } from "../api/client";
import type { Language, Meeting } from "../api/types";
import { createMeeting, listBoards, listMeetings } from "../api/vori";
import { InviteForm } from "../components/InviteForm";
import { ErrorMessage } from "../components/Notice";
import { useLoad, usePageTitle } from "../hooks";

const LANGUAGES: { value: Language; label: string }[] = [
  { value: "en", label: "English" },
  { value: "ko", label: "Korean (한국어)" },
  { value: "auto", label: "Detect automatically" },
];

export function MeetingsPage() {
  const heading = usePageTitle("Meetings");
  const navigate = useNavigate();
  const meetings = useLoad(listMeetings, []);
  const boards = useLoad(() => listBoards().catch(() => []), []);
  const [boardId, setBoardId] = useState("");
  const [title, setTitle] = useState("");
  const [language, setLanguage] = useState<Language>("en");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function create(event: FormEvent) {
    event.preventDefault();
    setError(null);
    setBusy(true);
    try {
      const meeting = await createMeeting(title.trim(), language, boardId || undefined);
      navigate(`/meetings/${meeting.id}`);
    } catch (reason) {
      setError(errorText(reason));
      setBusy(false);
    }
  }

  const sorted = [...(meetings.data ?? [])].sort((a, b) => (b.created_at ?? "").localeCompare(a.created_at ?? ""));

  return (
    <div className="page page-narrow">
      <h1 ref={heading} tabIndex={-1}>
        Meetings
      </h1>
      <section aria-labelledby="new-meeting" className="panel">
        <h2 id="new-meeting">Start a meeting</h2>
        <form className="form-row" onSubmit={create}>
          <label>
            Title
            <input value={title} onChange={(e) => setTitle(e.target.value)} required maxLength={300} />
          </label>
          <label>
            Language
            <select value={language} onChange={(e) => setLanguage(e.target.value as Language)}>
              {LANGUAGES.map((l) => (
                <option key={l.value} value={l.value}>
                  {l.label}
                </option>
              ))}
            </select>
          </label>
          <label>
            Tasks go to
            <select value={boardId} onChange={(e) => setBoardId(e.target.value)}>
              <option value="">My personal board</option>
              {(boards.data ?? []).map((b) => (
                <option key={b.id} value={b.id}>
                  {b.name}
                </option>
              ))}
            </select>
          </label>
          <button type="submit" className="button-primary" disabled={busy}>
            Create meeting
          </button>
        </form>
        <ErrorMessage>{error}</ErrorMessage>
      </section>
      <section aria-labelledby="my-meetings">
        <h2 id="my-meetings">Your meetings</h2>
        <ErrorMessage>{meetings.error}</ErrorMessage>
        {meetings.loading && !meetings.data && <p role="status">Loading meetings…</p>}
        {meetings.data && sorted.length === 0 && <p>No meetings yet. Start one above, or ask to be invited.</p>}
        <ul className="meeting-list">
          {sorted.map((meeting) => (
            <MeetingRow key={meeting.id} meeting={meeting} />
          ))}
        </ul>
      </section>
    </div>
  );
}

function MeetingRow({ meeting }: { meeting: Meeting }) {
  const [inviting, setInviting] = useState(false);
  const ended = !!meeting.ended_at;
  return (
    <li className="meeting-row">
      <div className="meeting-row-main">
        <Link to={`/meetings/${meeting.id}`} className="meeting-title">
          {meeting.title}
        </Link>
        <span className="meta">
          {meeting.language.toUpperCase()}
          {meeting.created_at && ` · ${new Date(meeting.created_at).toLocaleString()}`}
          {ended ? " · ended" : " · open"}
        </span>
      </div>
      <div className="meeting-row-actions">
        {ended && <Link to={`/meetings/${meeting.id}/summary`}>Summary</Link>}
        {meeting.board_id && <Link to={`/boards/${meeting.board_id}`}>Board</Link>}
        {!ended && (
          <button
            type="button"
            className="button-quiet"
            aria-expanded={inviting}
            onClick={() => setInviting((v) => !v)}
          >
            Invite<span className="visually-hidden"> people to {meeting.title}</span>
          </button>
        )}
      </div>
      {inviting && <InviteForm meetingId={meeting.id} />}
    </li>
  );
}
