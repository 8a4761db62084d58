// The meetings I belong to: create one (on one of my boards), find one by title, board,
// status or date, page through them, invite people, open one.

import { useCallback, useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { Link, useSearchParams } from "react-router";

import { errorText } from "../api/client";
import type { Language, Meeting, MeetingFilter, MeetingStatus } from "../api/types";
import {
  type Accuracy,
  type BoardInfo,
  createMeeting,
  findMeetings,
  listBoards,
  type TaskSelection,
} from "../api/vori";
import { InviteForm } from "../components/InviteForm";
import { ErrorMessage } from "../components/Notice";
import { useCreateForm, useLoad, usePageTitle } from "../hooks";
import { useFormat } from "../i18n/format";
import { isFiltered } from "../meetings/query";

const LANGUAGES: { value: Language; label: string }[] = [
  { value: "en", label: "meetings.langEn" },
  { value: "ko", label: "meetings.langKo" },
  { value: "auto", label: "meetings.langAuto" },
];

const FILTER_KEYS = ["q", "board_id", "status", "from", "to"] as const;

function filterOf(params: URLSearchParams): MeetingFilter {
  const status = params.get("status");
  return {
    q: params.get("q") ?? "",
    board_id: params.get("board_id") ?? "",
    status: status === "active" || status === "ended" ? status : "",
    from: params.get("from") ?? "",
    to: params.get("to") ?? "",
  };
}

/** Boards a new meeting may feed: the caller's own and those they were made a member of. */
function feedable(boards: BoardInfo[]): BoardInfo[] {
  return boards.filter((b) => !b.personal && b.access !== "meeting");
}

/** The caller's personal board, where a meeting that names no board puts its cards. */
function personalBoard(boards: BoardInfo[]): BoardInfo | undefined {
  return boards.find((b) => b.personal && b.access === "owner");
}

export function MeetingsPage() {
  const { t } = useTranslation();
  const heading = usePageTitle(t("meetings.title"));
  const [params, setParams] = useSearchParams();
  const filter = filterOf(params);
  const boards = useLoad(() => listBoards().catch(() => []), []);
  const [boardId, setBoardId] = useState("");
  const [title, setTitle] = useState("");
  const [language, setLanguage] = useState<Language>("en");
  const [tasks, setTasks] = useState<TaskSelection | "">("");
  const [accuracy, setAccuracy] = useState<Accuracy | "">("");
  const { error, busy, submit: create } = useCreateForm(async () => {
    const choices = {
      boardId: boardId || undefined,
      tasks: tasks || undefined,
      // Only English has a second model (Korean is decoded by base either way).
      accuracy: (language === "en" && accuracy) || undefined,
    };
    return `/meetings/${(await createMeeting(title.trim(), language, choices)).id}`;
  });

  function applyFilter(next: MeetingFilter) {
    const query = new URLSearchParams();
    for (const key of FILTER_KEYS) {
      const value = (next[key] ?? "").trim();
      if (value) query.set(key, value);
    }
    setParams(query, { replace: true });
  }

  return (
    <div className="page page-narrow">
      <h1 ref={heading} tabIndex={-1}>
        {t("meetings.title")}
      </h1>
      <section aria-labelledby="new-meeting" className="panel">
        <h2 id="new-meeting">{t("meetings.start")}</h2>
        <form className="form-row" onSubmit={create}>
          <label>
            {t("meetings.meetingTitle")}
            <input value={title} onChange={(e) => setTitle(e.target.value)} required maxLength={300} />
          </label>
          <label>
            {t("meetings.language")}
            <select value={language} onChange={(e) => setLanguage(e.target.value as Language)}>
              {LANGUAGES.map((l) => (
                <option key={l.value} value={l.value}>
                  {t(l.label)}
                </option>
              ))}
            </select>
          </label>
          <label>
            {t("meetings.tasksTo")}
            <select value={boardId} onChange={(e) => setBoardId(e.target.value)}>
              {/* Named as the board list and the filter name it; the server records its id. */}
              <option value="">{personalBoard(boards.data ?? [])?.name ?? t("meetings.personalBoard")}</option>
              {feedable(boards.data ?? []).map((b) => (
                <option key={b.id} value={b.id}>
                  {b.name}
                </option>
              ))}
            </select>
          </label>
          <label>
            {t("tasks.label")}
            <select value={tasks} onChange={(e) => setTasks(e.target.value as TaskSelection | "")}>
              <option value="">{t("tasks.default")}</option>
              <option value="selective">{t("tasks.selective")}</option>
              <option value="thorough">{t("tasks.thorough")}</option>
            </select>
          </label>
          {language === "en" && (
            <label title={t("accuracy.hint")}>
              {t("accuracy.label")}
              <select value={accuracy} onChange={(e) => setAccuracy(e.target.value as Accuracy | "")}>
                <option value="">{t("accuracy.default")}</option>
                <option value="standard">{t("accuracy.standard")}</option>
                <option value="high">{t("accuracy.high")}</option>
              </select>
            </label>
          )}
          <button type="submit" className="button-primary" disabled={busy || !title.trim()}>
            {t("meetings.create")}
          </button>
        </form>
        <ErrorMessage>{error}</ErrorMessage>
      </section>
      <section aria-labelledby="my-meetings">
        <h2 id="my-meetings">{t("meetings.yours")}</h2>
        <MeetingFilters
          key={params.toString()}
          filter={filter}
          boards={boards.data ?? []}
          onApply={applyFilter}
        />
        <MeetingList filter={filter} boards={boards.data ?? []} />
      </section>
    </div>
  );
}

function MeetingFilters({
  filter,
  boards,
  onApply,
}: {
  filter: MeetingFilter;
  boards: BoardInfo[];
  onApply: (filter: MeetingFilter) => void;
}) {
  const { t } = useTranslation();
  const [draft, setDraft] = useState(filter);
  const set = (change: Partial<MeetingFilter>) => setDraft((current) => ({ ...current, ...change }));
  // A choice from a list applies at once; typed text and dates apply with the button.
  const choose = (change: Partial<MeetingFilter>) => onApply({ ...draft, ...change });
  return (
    <form
      role="search"
      aria-label={t("meetings.find")}
      className="form-row meeting-filters"
      onSubmit={(event) => {
        event.preventDefault();
        onApply(draft);
      }}
    >
      <label>
        {t("meetings.search")}
        <input type="search" value={draft.q} onChange={(e) => set({ q: e.target.value })} maxLength={300} />
      </label>
      <label>
        {t("meetings.board")}
        <select value={draft.board_id} onChange={(e) => choose({ board_id: e.target.value })}>
          <option value="">{t("meetings.anyBoard")}</option>
          {boards.map((b) => (
            <option key={b.id} value={b.id}>
              {b.name}
            </option>
          ))}
        </select>
      </label>
      <label>
        {t("meetings.status")}
        <select value={draft.status} onChange={(e) => choose({ status: e.target.value as MeetingStatus | "" })}>
          <option value="">{t("meetings.anyStatus")}</option>
          <option value="active">{t("meetings.active")}</option>
          <option value="ended">{t("meetings.ended")}</option>
        </select>
      </label>
      <label>
        {t("meetings.from")}
        <input type="date" value={draft.from} max={draft.to || undefined} onChange={(e) => set({ from: e.target.value })} />
      </label>
      <label>
        {t("meetings.to")}
        <input type="date" value={draft.to} min={draft.from || undefined} onChange={(e) => set({ to: e.target.value })} />
      </label>
      <button type="submit">{t("meetings.apply")}</button>
      {isFiltered(filter) && (
        <button type="button" className="button-quiet" onClick={() => onApply({})}>
          {t("meetings.clear")}
        </button>
      )}
    </form>
  );
}

function MeetingList({ filter, boards }: { filter: MeetingFilter; boards: BoardInfo[] }) {
  const { t } = useTranslation();
  const [meetings, setMeetings] = useState<Meeting[] | null>(null);
  const [next, setNext] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const key = JSON.stringify(filter);

  const load = useCallback(
    async (cursor: string | null, signal: { cancelled: boolean }) => {
      setLoading(true);
      setError(null);
      try {
        const page = await findMeetings(JSON.parse(key) as MeetingFilter, cursor);
        if (signal.cancelled) return;
        setMeetings((current) => (cursor && current ? [...current, ...page.meetings] : page.meetings));
        setNext(page.next);
      } catch (reason) {
        if (!signal.cancelled) setError(errorText(reason));
      } finally {
        if (!signal.cancelled) setLoading(false);
      }
    },
    [key],
  );

  useEffect(() => {
    const signal = { cancelled: false };
    setMeetings(null);
    void load(null, signal);
    return () => {
      signal.cancelled = true;
    };
  }, [load]);

  const boardNames = new Map(boards.map((b) => [b.id, b.name]));
  return (
    <>
      <ErrorMessage>{error}</ErrorMessage>
      {loading && !meetings && <p role="status">{t("meetings.loading")}</p>}
      {meetings && meetings.length === 0 && <p>{isFiltered(filter) ? t("meetings.noneFound") : t("meetings.none")}</p>}
      {meetings && meetings.length > 0 && (
        <p className="visually-hidden" role="status">
          {t("meetings.shown", { count: meetings.length })}
          {next && ` ${t("meetings.moreBelow")}`}
        </p>
      )}
      <ul className="meeting-list">
        {(meetings ?? []).map((meeting) => (
          <MeetingRow key={meeting.id} meeting={meeting} boardName={boardNames.get(meeting.board_id ?? "")} />
        ))}
      </ul>
      {next && (
        <button type="button" onClick={() => void load(next, { cancelled: false })} disabled={loading}>
          {loading ? t("meetings.loadingMore") : t("meetings.more")}
        </button>
      )}
    </>
  );
}

function MeetingRow({ meeting, boardName }: { meeting: Meeting; boardName?: string }) {
  const { t } = useTranslation();
  const format = useFormat();
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
          {meeting.created_at && (
            <>
              {" · "}
              <time dateTime={meeting.created_at} title={format.relative(meeting.created_at)}>
                {format.dateTime(meeting.created_at)}
              </time>
            </>
          )}
          {` · ${ended ? t("meetings.rowEnded") : t("meetings.rowOpen")}`}
        </span>
      </div>
      <div className="meeting-row-actions">
        {ended && <Link to={`/meetings/${meeting.id}/summary`}>{t("meetings.summary")}</Link>}
        {meeting.board_id && (
          <Link to={`/boards/${meeting.board_id}`}>
            {t("meetings.board")}
            <span className="visually-hidden">: {boardName ?? meeting.title}</span>
          </Link>
        )}
        {!ended && (
          <button
            type="button"
            className="button-quiet"
            aria-expanded={inviting}
            onClick={() => setInviting((v) => !v)}
          >
            {t("meetings.invite")}
            <span className="visually-hidden">{t("meetings.invitePeople", { title: meeting.title })}</span>
          </button>
        )}
      </div>
      {inviting && <InviteForm meetingId={meeting.id} />}
    </li>
  );
}
