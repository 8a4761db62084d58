// Boards: the list (with a new team board), and a kanban board: columns of cards, drag and
// drop, keyboard moves, live updates from the meetings that feed it, card details, and the
// board's settings (name, members, columns) for its owner and members.

import { type DragEvent, type FormEvent, type KeyboardEvent, useCallback, useEffect, useRef, useState } from "react";
import type { TFunction } from "i18next";
import { useTranslation } from "react-i18next";
import { Link, useParams, useSearchParams } from "react-router";

import { ApiError, errorText } from "../api/client";
import type { Card, LiveEvent } from "../api/types";
import { type BoardInfo, createBoard, createCard, getBoard, listBoards, moveCard } from "../api/vori";
import { BoardSettings } from "../board/BoardSettings";
import { CardDetails } from "../board/CardDetails";
import { BOARD_NAME_MAX, CARD_TITLE_MAX } from "../board/limits";
import { type KeyMove, applyMove, cardsIn, keyboardTarget } from "../board/moves";
import { myUserId } from "../components/MeetingAdmin";
import { ErrorMessage, InfoMessage } from "../components/Notice";
import { useCreateForm, useLoad, usePageTitle } from "../hooks";
import { useFormat } from "../i18n/format";
import { useMeetingEvents } from "../live/useMeetingEvents";

const POLL_MS = 15000;

const ACCESS: Record<string, string> = { owner: "board.accessOwner", member: "board.accessMember", meeting: "board.accessMeeting" };

function accessNote(t: TFunction, board: BoardInfo): string {
  const access = board.access ? ACCESS[board.access] : undefined;
  const notes = [board.personal ? t("board.personal") : "", access ? t(access) : ""];
  return notes.filter(Boolean).join(", ");
}

export function BoardsPage() {
  const { t } = useTranslation();
  const heading = usePageTitle(t("board.boards"));
  const boards = useLoad(listBoards, []);
  const [name, setName] = useState("");
  const { error, busy, submit: create } = useCreateForm(async () => `/boards/${(await createBoard(name.trim())).id}`);

  return (
    <div className="page page-narrow">
      <h1 ref={heading} tabIndex={-1}>
        {t("board.boards")}
      </h1>
      <section aria-labelledby="new-board" className="panel">
        <h2 id="new-board">{t("board.newBoard")}</h2>
        <form className="form-row" onSubmit={create}>
          <label>
            {t("board.name")}
            <input value={name} onChange={(e) => setName(e.target.value)} required maxLength={BOARD_NAME_MAX} />
          </label>
          <button type="submit" className="button-primary" disabled={busy || !name.trim()}>
            {t("board.create")}
          </button>
        </form>
        <ErrorMessage>{error}</ErrorMessage>
      </section>
      <ErrorMessage>{boards.error}</ErrorMessage>
      {boards.loading && !boards.data && <p role="status">{t("board.loading")}</p>}
      {boards.data?.length === 0 && <p>{t("board.empty")}</p>}
      <ul className="board-list">
        {boards.data?.map((board) => (
          <li key={board.id}>
            <Link to={`/boards/${board.id}`}>{board.name}</Link>
            {accessNote(t, board) && <span className="meta"> · {accessNote(t, board)}</span>}
          </li>
        ))}
      </ul>
    </div>
  );
}

export function BoardPage() {
  const { t } = useTranslation();
  const { boardId = "" } = useParams();
  const [params, setParams] = useSearchParams();
  // null: no such board, or not one the caller may see (the server answers both with 404).
  const board = useLoad(() => getBoard(boardId).catch(notFoundAsNull), [boardId]);
  const boards = useLoad(listBoards, []);
  const heading = usePageTitle(board.data === null ? t("board.notFoundHeading") : (board.data?.name ?? t("board.board")));
  const [message, setMessage] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [dropTarget, setDropTarget] = useState<string | null>(null);
  const [announcement, setAnnouncement] = useState("");
  const reloadTimer = useRef<number | undefined>(undefined);
  const openCardId = params.get("card");
  const [managing, setManaging] = useState(false);

  const { reload, setData } = board;
  const scheduleReload = useCallback(() => {
    window.clearTimeout(reloadTimer.current);
    reloadTimer.current = window.setTimeout(reload, 150);
  }, [reload]);

  const onEvent = useCallback(
    (event: LiveEvent) => {
      const card = (event.card ?? event) as { board_id?: string };
      if (event.type.startsWith("task.") || event.type.startsWith("card.") || event.type.startsWith("kanban.")) {
        if (!card.board_id || card.board_id === boardId) scheduleReload();
      }
    },
    [boardId, scheduleReload],
  );

  // Changes reach live clients through the meetings that feed the board (newest first).
  const feeding = (boards.data?.find((b) => b.id === boardId)?.meetingIds ?? []).slice(-5);

  const [liveFeeds, setLiveFeeds] = useState<Record<string, boolean>>({});
  const onFeedState = useCallback((meetingId: string, live: boolean) => {
    setLiveFeeds((current) => (current[meetingId] === live ? current : { ...current, [meetingId]: live }));
  }, []);
  const anyLive = feeding.some((id) => liveFeeds[id]);

  // Live events from the meetings that feed the board keep it current; a light poll
  // covers a board that no meeting of yours feeds, or feeds that are down.
  useEffect(() => {
    if (anyLive) return;
    const timer = window.setInterval(() => {
      if (document.visibilityState === "visible") reload();
    }, POLL_MS);
    return () => window.clearInterval(timer);
  }, [anyLive, reload]);

  useEffect(() => {
    window.addEventListener("focus", reload);
    return () => window.removeEventListener("focus", reload);
  }, [reload]);

  const move = useCallback(
    async (card: Card, columnId: string, position: number) => {
      const current = board.data;
      if (!current) return;
      if (card.column_id === columnId && cardsIn(current, columnId).findIndex((c) => c.id === card.id) === position) return;
      setError(null);
      setData(applyMove(current, card.id, columnId, position));
      const column = current.columns.find((c) => c.id === columnId);
      if (column?.wip_limit && card.column_id !== columnId && cardsIn(current, columnId).length >= column.wip_limit) {
        setError(t("board.wipFull", { column: column.name, limit: column.wip_limit }));
        return;
      }
      setAnnouncement(t("board.moved", { title: card.title, column: column?.name ?? t("board.anotherColumn"), position: position + 1 }));
      try {
        const saved = await moveCard(card, columnId, position);
        setData((b) => ({ ...b!, cards: b!.cards.map((c) => (c.id === saved.id ? { ...c, ...saved } : c)) }));
        scheduleReload();
      } catch (reason) {
        setError(
          reason instanceof ApiError && reason.kind === "conflict" && /WIP limit/.test(reason.message)
            ? reason.message
            : reason instanceof ApiError && reason.kind === "conflict"
            ? t("board.conflict", { title: card.title })
            : t("board.moveFailed", { title: card.title, reason: errorText(reason) }),
        );
        reload();
      }
    },
    [board.data, reload, scheduleReload, setData, t],
  );

  function onKeyDown(event: KeyboardEvent, card: Card) {
    if (!board.data || !event.altKey) return;
    const keys: Record<string, KeyMove> = { ArrowLeft: "left", ArrowRight: "right", ArrowUp: "up", ArrowDown: "down" };
    const direction = keys[event.key];
    if (!direction) return;
    event.preventDefault();
    const target = keyboardTarget(board.data, card, direction);
    if (target) {
      void move(card, target.columnId, target.position).then(() =>
        window.setTimeout(() => document.getElementById(`card-${card.id}`)?.focus(), 0),
      );
    }
  }

  function onDrop(event: DragEvent, columnId: string) {
    event.preventDefault();
    setDropTarget(null);
    const id = event.dataTransfer.getData("application/x-vori-card") || event.dataTransfer.getData("text/plain");
    const data = board.data;
    const card = data?.cards.find((c) => c.id === id);
    if (!data || !card) return;
    // Dropped on a card: take its place; dropped on the column: go last.
    const over = (event.target as HTMLElement).closest<HTMLElement>("[data-card-id]");
    const siblings = cardsIn(data, columnId).filter((c) => c.id !== card.id);
    const overIndex = over ? siblings.findIndex((c) => c.id === over.dataset.cardId) : -1;
    void move(card, columnId, overIndex >= 0 ? overIndex : siblings.length);
  }

  const data = board.data;
  const openCard = data?.cards.find((c) => c.id === openCardId) ?? null;
  const access = boards.data?.find((b) => b.id === boardId)?.access;
  const owner = !!data?.owner_id && data.owner_id === myUserId();
  // The owner and explicit members work the columns; people from a meeting do not (403).
  const mayManage = owner || access === "member";

  if (data === null) {
    return (
      <div className="page page-narrow">
        <h1 ref={heading} tabIndex={-1}>
          {t("board.notFoundHeading")}
        </h1>
        <p>{t("board.notFound")}</p>
        <p>
          <Link to="/boards">{t("board.backToBoards")}</Link>
        </p>
      </div>
    );
  }

  return (
    <div className="page board-page">
      {feeding.map((meeting) => (
        <MeetingFeed key={meeting} meetingId={meeting} onEvent={onEvent} onState={onFeedState} />
      ))}
      <div className="room-head">
        <h1 ref={heading} tabIndex={-1}>
          {data?.name ?? t("board.board")}
        </h1>
        {data && (
          <p className="meta">
            {t("board.help")} · <Link to={`/boards/${boardId}/analytics`}>{t("board.analytics")}</Link>
          </p>
        )}
        {mayManage && (
          <button type="button" aria-expanded={managing} onClick={() => setManaging((v) => !v)}>
            {t("board.settings")}
          </button>
        )}
      </div>
      {data?.archived && (
        <p className="notice notice-info" role="status">
          {t("board.archived")}
        </p>
      )}
      {mayManage && managing && data && (
        <div id="board-settings">
          <BoardSettings board={data} owner={owner} onBoard={(changed) => setData(changed)} />
        </div>
      )}
      <ErrorMessage>{board.error && !data ? board.error : error}</ErrorMessage>
      <InfoMessage>{message}</InfoMessage>
      <p className="visually-hidden" aria-live="polite">
        {announcement}
      </p>
      {data && (
        <div className="columns">
          {data.columns.map((column, columnIndex) => {
            const cards = cardsIn(data, column.id);
            return (
              <section
                key={column.id}
                className={`column${dropTarget === column.id ? " column-drop" : ""}`}
                aria-labelledby={`column-${column.id}`}
                data-column-id={column.id}
                onDragOver={(e) => {
                  e.preventDefault();
                  e.dataTransfer.dropEffect = "move";
                  setDropTarget(column.id);
                }}
                onDragLeave={(e) => {
                  if (!e.currentTarget.contains(e.relatedTarget as Node | null)) setDropTarget(null);
                }}
                onDrop={(e) => onDrop(e, column.id)}
              >
                <h2 id={`column-${column.id}`}>
                  {column.name} <ColumnCount held={cards.length} limit={column.wip_limit ?? null} />
                </h2>
                <ol className="cards">
                  {cards.map((card) => (
                    <li key={card.id}>
                      <CardTile
                        card={card}
                        left={data.columns[columnIndex - 1]?.name}
                        right={data.columns[columnIndex + 1]?.name}
                        onOpen={() => setParams({ card: card.id })}
                        onKeyDown={(e) => onKeyDown(e, card)}
                        onStep={(direction) => {
                          const target = keyboardTarget(data, card, direction);
                          if (target) void move(card, target.columnId, target.position);
                        }}
                      />
                    </li>
                  ))}
                </ol>
                {columnIndex === 0 && <AddCard boardId={data.id} columnId={column.id} onAdded={reload} onMessage={setMessage} />}
              </section>
            );
          })}
        </div>
      )}
      {data && openCard && (
        <CardDetails
          key={openCard.id}
          board={data}
          card={openCard}
          onClose={() => setParams({})}
          onSaved={(saved) => {
            setData((b) => ({ ...b!, cards: b!.cards.map((c) => (c.id === saved.id ? { ...c, ...saved } : c)) }));
            scheduleReload();
          }}
          onConflict={reload}
        />
      )}
      {openCardId && data && !openCard && <ErrorMessage>{t("board.cardGone")}</ErrorMessage>}
    </div>
  );
}

function notFoundAsNull(reason: unknown): null {
  if (reason instanceof ApiError && reason.kind === "not_found") return null;
  throw reason;
}

interface FeedProps {
  meetingId: string;
  onEvent: (event: LiveEvent) => void;
  onState: (meetingId: string, live: boolean) => void;
}

function MeetingFeed({ meetingId, onEvent, onState }: FeedProps) {
  const { state } = useMeetingEvents(meetingId, onEvent);
  useEffect(() => onState(meetingId, state === "live"), [meetingId, onState, state]);
  return null;
}

interface TileProps {
  card: Card;
  left?: string;
  right?: string;
  onOpen: () => void;
  onKeyDown: (event: KeyboardEvent) => void;
  onStep: (direction: KeyMove) => void;
}

function CardTile({ card, left, right, onOpen, onKeyDown, onStep }: TileProps) {
  const { t } = useTranslation();
  const format = useFormat();
  return (
    <div
      className="card"
      data-card-id={card.id}
      draggable
      onDragStart={(e) => {
        e.dataTransfer.setData("application/x-vori-card", card.id);
        e.dataTransfer.setData("text/plain", card.id);
        e.dataTransfer.effectAllowed = "move";
      }}
    >
      <button
        type="button"
        id={`card-${card.id}`}
        className="card-open"
        onClick={onOpen}
        onKeyDown={onKeyDown}
        aria-describedby={`card-meta-${card.id}`}
        aria-keyshortcuts="Alt+ArrowLeft Alt+ArrowRight Alt+ArrowUp Alt+ArrowDown"
      >
        {card.title}
      </button>
      <p className="meta" id={`card-meta-${card.id}`}>
        {card.assignee ? card.assignee : t("board.unassigned")}
        {card.due_date && t("board.due", { date: format.day(card.due_date) })}
        {card.evidence && card.evidence.length > 0 && t("board.fromMeeting")}
      </p>
      <div className="card-moves">
        {left && (
          <button type="button" className="button-small" onClick={() => onStep("left")} aria-label={t("board.moveTo", { title: card.title, column: left })}>
            ← {left}
          </button>
        )}
        {right && (
          <button type="button" className="button-small" onClick={() => onStep("right")} aria-label={t("board.moveTo", { title: card.title, column: right })}>
            {right} →
          </button>
        )}
      </div>
    </div>
  );
}

function AddCard({
  boardId,
  columnId,
  onAdded,
  onMessage,
}: {
  boardId: string;
  columnId: string;
  onAdded: () => void;
  onMessage: (message: string | null) => void;
}) {
  const { t } = useTranslation();
  const [title, setTitle] = useState("");
  const [error, setError] = useState<string | null>(null);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setError(null);
    try {
      await createCard(boardId, columnId, title.trim());
      onMessage(t("board.added", { title: title.trim() }));
      setTitle("");
      onAdded();
    } catch (reason) {
      setError(errorText(reason));
    }
  }

  return (
    <form className="add-card" onSubmit={submit}>
      <label>
        <span className="visually-hidden">{t("board.newCard")}</span>
        <input value={title} onChange={(e) => setTitle(e.target.value)} placeholder={t("board.addCard")} required maxLength={CARD_TITLE_MAX} />
      </label>
      <button type="submit" className="button-small">
        {t("board.add")}
      </button>
      <ErrorMessage>{error}</ErrorMessage>
    </form>
  );
}

/** A column's card count, with its WIP limit when it has one (at or over it is marked). */
function ColumnCount({ held, limit }: { held: number; limit: number | null }) {
  const { t } = useTranslation();
  if (limit === null) return <span className="count">({held})</span>;
  const state = held > limit ? "over" : held === limit ? "at" : "under";
  const note = state === "over" ? t("board.overWip") : state === "at" ? t("board.atWip") : "";
  return (
    <span className={`count wip-${state}`}>
      ({held}/{limit}
      <span className="visually-hidden">
        {t("board.allowed")}
        {note}
      </span>
      )
    </span>
  );
}
