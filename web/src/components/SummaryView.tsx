// Minutes of a meeting: overview, key points, decisions, open questions and action items,
// each action item linked to its card and to the moment it was said.

import { Link } from "react-router";

import type { ActionItem, Summary } from "../api/types";

export interface CardLink {
  cardId: string;
  boardId: string;
}

interface Props {
  meetingId: string;
  summary: Summary | null;
  /** Cards by task key, from live `task.upserted` events, when the summary does not carry them. */
  cards: Record<string, CardLink>;
  boardId?: string | null;
  headingLevel?: 2 | 3;
}

export function SummaryView({ meetingId, summary, cards, boardId, headingLevel = 3 }: Props) {
  const H = `h${headingLevel}` as "h2" | "h3";
  if (!summary) {
    return <p className="meta">No summary yet: it appears after some speech and grows as the meeting goes on.</p>;
  }
  const items = summary.action_items.filter((item) => item.status !== "cancelled");
  return (
    <div className="summary">
      {summary.overview && <p className="overview">{summary.overview}</p>}
      <List heading="Key points" items={summary.key_points} H={H} />
      <List heading="Decisions" items={summary.decisions} H={H} />
      <H>Action items</H>
      {items.length === 0 ? (
        <p className="meta">No action items yet.</p>
      ) : (
        <ul className="action-items">
          {items.map((item) => (
            <ActionItemRow key={item.task_key} item={item} meetingId={meetingId} link={cardLink(item, cards, boardId)} />
          ))}
        </ul>
      )}
      <List heading="Open questions" items={summary.open_questions} H={H} />
      <p className="meta">
        {summary.kind === "final" ? "Final summary" : "Rolling summary"}
        {summary.source && ` · ${summary.source === "rules" ? "rule-based" : "written by the language model"}`}
        {summary.created_at && ` · ${new Date(summary.created_at).toLocaleTimeString()}`}
      </p>
    </div>
  );
}

function List({ heading, items, H }: { heading: string; items: string[]; H: "h2" | "h3" }) {
  if (!items.length) return null;
  return (
    <>
      <H>{heading}</H>
      <ul>
        {items.map((text, i) => (
          <li key={i}>{text}</li>
        ))}
      </ul>
    </>
  );
}

function cardLink(item: ActionItem, cards: Record<string, CardLink>, boardId?: string | null): CardLink | null {
  const live = cards[item.task_key];
  if (live) return live;
  const board = item.card?.board_id ?? boardId;
  return item.card && board ? { cardId: item.card.id, boardId: board } : null;
}

function ActionItemRow({ item, meetingId, link }: { item: ActionItem; meetingId: string; link: CardLink | null }) {
  const evidence = item.evidence?.[0];
  return (
    <li className="action-item" data-task-key={item.task_key}>
      <span className="action-title">{item.title}</span>
      <span className="meta">
        {item.assignee ? ` · ${item.assignee}` : " · unassigned"}
        {item.due_date ? ` · due ${item.due_date}` : ""}
      </span>
      <span className="action-links">
        {link && (
          <Link to={`/boards/${link.boardId}?card=${encodeURIComponent(link.cardId)}`}>
            Card<span className="visually-hidden"> for {item.title}</span>
          </Link>
        )}
        {evidence && (
          <Link to={`/meetings/${meetingId}?at=${encodeURIComponent(evidence.segment_id)}`} title={evidence.quote}>
            Moment<span className="visually-hidden"> where “{item.title}” was said</span>
          </Link>
        )}
      </span>
    </li>
  );
}
