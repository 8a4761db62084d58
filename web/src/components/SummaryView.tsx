// Minutes of a meeting: overview, key points, decisions, open questions and action items,
// each action item linked to its card and to the moment it was said.

import { useTranslation } from "react-i18next";
import { Link } from "react-router";

import type { ActionItem, Summary } from "../api/types";
import { useFormat } from "../i18n/format";

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
  const { t } = useTranslation();
  const format = useFormat();
  const H = `h${headingLevel}` as "h2" | "h3";
  if (!summary) {
    return <p className="meta">{t("summary.none")}</p>;
  }
  const items = summary.action_items.filter((item) => item.status !== "cancelled");
  return (
    <div className="summary">
      {summary.overview && <p className="overview">{summary.overview}</p>}
      <List heading={t("summary.keyPoints")} items={summary.key_points} H={H} />
      <List heading={t("summary.decisions")} items={summary.decisions} H={H} />
      <H>{t("summary.actionItems")}</H>
      {items.length === 0 ? (
        <p className="meta">{t("summary.noActionItems")}</p>
      ) : (
        <ul className="action-items">
          {items.map((item) => (
            <ActionItemRow key={item.task_key} item={item} meetingId={meetingId} link={cardLink(item, cards, boardId)} />
          ))}
        </ul>
      )}
      <List heading={t("summary.openQuestions")} items={summary.open_questions} H={H} />
      <p className="meta">
        {summary.kind === "final" ? t("summary.final") : t("summary.rolling")}
        {summary.source && ` · ${summary.source === "rules" ? t("summary.rules") : t("summary.model")}`}
        {summary.created_at && ` · ${format.time(summary.created_at)}`}
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
  const { t } = useTranslation();
  const format = useFormat();
  const evidence = item.evidence?.[0];
  return (
    <li className="action-item" data-task-key={item.task_key}>
      <span className="action-title">{item.title}</span>
      <span className="meta">
        {` · ${item.assignee || t("summary.unassigned")}`}
        {item.due_date ? ` · ${t("summary.due", { date: format.day(item.due_date) })}` : ""}
      </span>
      <span className="action-links">
        {link && (
          <Link to={`/boards/${link.boardId}?card=${encodeURIComponent(link.cardId)}`}>
            {t("summary.card")}
            <span className="visually-hidden">{t("summary.cardFor", { title: item.title })}</span>
          </Link>
        )}
        {evidence && (
          <Link to={`/meetings/${meetingId}?at=${encodeURIComponent(evidence.segment_id)}`} title={evidence.quote}>
            {t("summary.moment")}
            <span className="visually-hidden">{t("summary.momentOf", { title: item.title })}</span>
          </Link>
        )}
      </span>
    </li>
  );
}
