// Managing a board: its owner renames, archives or restores it, adds or removes its
// members (by e-mail) and sets the vocabulary its meetings inherit; the owner and members add, rename, reorder, limit (WIP) and delete
// its columns.

import { type FormEvent, useId, useState } from "react";
import { useTranslation } from "react-i18next";

import { ApiError, errorText } from "../api/client";
import type { Board, Column } from "../api/types";
import {
  addBoardMember,
  addColumn,
  boardMembers,
  deleteColumn,
  removeBoardMember,
  renameBoard,
  setBoardArchived,
  setBoardVocabulary,
  updateColumn,
} from "../api/vori";
import { VocabularyEditor } from "../components/MeetingVocabulary";
import { ErrorMessage, InfoMessage } from "../components/Notice";
import { useLoad } from "../hooks";
import { BoardWebhooks } from "./BoardWebhooks";
import { columnMove } from "./columns";
import { BOARD_NAME_MAX } from "./limits";

/** The settings' messages in the interface language. */
function useText() {
  const { t } = useTranslation();
  const named = (key: string) => (name: string) => t(key, { name });
  return {
    heading: t("settings.heading"),
    name: t("settings.name"),
    saveName: t("settings.saveName"),
    renamed: named("settings.renamed"),
    members: t("settings.members"),
    membersHelp: t("settings.membersHelp"),
    ownerYou: t("settings.ownerYou"),
    noMembers: t("settings.noMembers"),
    loadingMembers: t("settings.loadingMembers"),
    memberEmail: t("settings.memberEmail"),
    add: t("settings.add"),
    added: (email: string) => t("settings.added", { email }),
    noAccount: (email: string) => t("settings.noAccount", { email }),
    remove: t("settings.remove"),
    removeLabel: named("settings.removeLabel"),
    confirmRemove: named("settings.confirmRemove"),
    columns: t("settings.columns"),
    columnName: named("settings.columnName"),
    renameColumn: t("settings.renameColumn"),
    renameColumnLabel: named("settings.renameColumnLabel"),
    deleteColumn: t("settings.deleteColumn"),
    deleteColumnLabel: named("settings.deleteColumnLabel"),
    confirmDeleteColumn: named("settings.confirmDeleteColumn"),
    newColumn: t("settings.newColumn"),
    addColumn: t("settings.addColumn"),
    columnAdded: named("settings.columnAdded"),
    columnMoved: (name: string, position: number) => t("settings.columnMoved", { name, position }),
    columnDeleted: named("settings.columnDeleted"),
    save: t("settings.save"),
    cancel: t("settings.cancel"),
    wipLimit: named("settings.wipLimit"),
    wipHelp: t("settings.wipHelp"),
    limitSet: (name: string, limit: number | null) =>
      limit === null ? t("settings.noLimit", { name }) : t("settings.limit", { name, limit }),
    archive: t("settings.archive"),
    restore: t("settings.restore"),
    archiveHelp: t("settings.archiveHelp"),
    confirmArchive: named("settings.confirmArchive"),
    archived: named("settings.archived"),
    restored: named("settings.restored"),
  };
}

interface Props {
  board: Board;
  /** The caller owns the board (rename, members) or is a member (columns only). */
  owner: boolean;
  onBoard: (board: Board) => void;
}

export function BoardSettings({ board, owner, onBoard }: Props) {
  const TEXT = useText();
  const [message, setMessage] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  async function run(action: () => Promise<string | null>) {
    setError(null);
    setMessage(null);
    try {
      setMessage(await action());
    } catch (reason) {
      setError(errorText(reason));
    }
  }

  return (
    <section className="panel board-settings" aria-labelledby="board-settings-heading">
      <h2 id="board-settings-heading">{TEXT.heading}</h2>
      <ErrorMessage>{error}</ErrorMessage>
      <InfoMessage>{message}</InfoMessage>
      {owner && <BoardName board={board} run={run} onBoard={onBoard} />}
      {owner && !board.personal && <BoardArchive board={board} run={run} onBoard={onBoard} />}
      {owner && <BoardMembers boardId={board.id} run={run} />}
      {owner && (
        <VocabularyEditor
          key={(board.vocabulary ?? []).join("\n")}
          terms={board.vocabulary ?? []}
          hint="vocabulary.boardHint"
          empty="vocabulary.boardEmpty"
          save={async (terms) => onBoard(await setBoardVocabulary(board.id, terms))}
        />
      )}
      <BoardColumns board={board} run={run} onBoard={onBoard} />
      <BoardWebhooks boardId={board.id} run={run} />
    </section>
  );
}

type Run = (action: () => Promise<string | null>) => Promise<void>;

function BoardName({ board, run, onBoard }: { board: Board; run: Run; onBoard: (board: Board) => void }) {
  const TEXT = useText();
  const id = useId();
  const [name, setName] = useState(board.name);
  return (
    <form
      className="inline-form"
      onSubmit={(event: FormEvent) => {
        event.preventDefault();
        void run(async () => {
          const renamed = await renameBoard(board.id, name.trim());
          onBoard(renamed);
          return TEXT.renamed(renamed.name);
        });
      }}
    >
      <label htmlFor={`${id}-name`}>{TEXT.name}</label>
      <input id={`${id}-name`} value={name} onChange={(e) => setName(e.target.value)} required maxLength={BOARD_NAME_MAX} />
      <button type="submit" disabled={!name.trim() || name.trim() === board.name}>
        {TEXT.saveName}
      </button>
    </form>
  );
}

function BoardArchive({ board, run, onBoard }: { board: Board; run: Run; onBoard: (board: Board) => void }) {
  const TEXT = useText();
  const archived = !!board.archived;
  return (
    <p className="inline-form">
      <button
        type="button"
        onClick={() => {
          if (!archived && !window.confirm(TEXT.confirmArchive(board.name))) return;
          void run(async () => {
            const changed = await setBoardArchived(board.id, !archived);
            onBoard(changed);
            return changed.archived ? TEXT.archived(changed.name) : TEXT.restored(changed.name);
          });
        }}
      >
        {archived ? TEXT.restore : TEXT.archive}
      </button>
      <span className="meta">{TEXT.archiveHelp}</span>
    </p>
  );
}

function WipLimit({ board, column, run, onBoard }: { board: Board; column: Column; run: Run; onBoard: (board: Board) => void }) {
  const TEXT = useText();
  const id = useId();
  const [limit, setLimit] = useState(column.wip_limit ? String(column.wip_limit) : "");
  const value = limit.trim() === "" ? null : Number(limit);
  const valid = value === null || (Number.isInteger(value) && value >= 1 && value <= 999);
  return (
    <form
      className="inline-form wip-form"
      onSubmit={(event: FormEvent) => {
        event.preventDefault();
        void run(async () => {
          onBoard(await updateColumn(board.id, column, { wip_limit: value }));
          return TEXT.limitSet(column.name, value);
        });
      }}
    >
      <label htmlFor={`${id}-wip`} className="visually-hidden">
        {TEXT.wipLimit(column.name)}
      </label>
      <input
        id={`${id}-wip`}
        type="number"
        min={1}
        max={999}
        inputMode="numeric"
        placeholder="WIP"
        title={TEXT.wipHelp}
        value={limit}
        onChange={(e) => setLimit(e.target.value)}
      />
      <button
        type="submit"
        className="button-small"
        disabled={!valid || value === (column.wip_limit ?? null)}
      >
        <Hidden i18nKey="settings.setLimit" name={column.name} />
      </button>
    </form>
  );
}

function BoardMembers({ boardId, run }: { boardId: string; run: Run }) {
  const TEXT = useText();
  const id = useId();
  const members = useLoad(() => boardMembers(boardId), [boardId]);
  const [email, setEmail] = useState("");
  return (
    <section aria-labelledby={`${id}-members`}>
      <h3 id={`${id}-members`}>{TEXT.members}</h3>
      <p className="meta">{TEXT.membersHelp}</p>
      <ErrorMessage>{members.error}</ErrorMessage>
      {members.loading && !members.data && <p role="status">{TEXT.loadingMembers}</p>}
      <ul className="people">
        <li>{TEXT.ownerYou}</li>
        {(members.data ?? []).map((member) => (
          <li key={member.user_id}>
            <span>
              {member.display_name} <span className="meta">{member.email}</span>
            </span>
            <button
              type="button"
              className="button-small"
              aria-label={TEXT.removeLabel(member.display_name)}
              onClick={() => {
                if (!window.confirm(TEXT.confirmRemove(member.display_name))) return;
                void run(async () => {
                  await removeBoardMember(boardId, member.user_id);
                  members.reload();
                  return null;
                });
              }}
            >
              {TEXT.remove}
            </button>
          </li>
        ))}
      </ul>
      {members.data?.length === 0 && <p className="meta">{TEXT.noMembers}</p>}
      <form
        className="inline-form"
        onSubmit={(event: FormEvent) => {
          event.preventDefault();
          const address = email.trim().toLowerCase();
          void run(async () => {
            // 404: no account uses the address (the board itself was found to show this form).
            await addBoardMember(boardId, address).catch((reason: unknown) => {
              throw reason instanceof ApiError && reason.kind === "not_found" ? new Error(TEXT.noAccount(address)) : reason;
            });
            setEmail("");
            members.reload();
            return TEXT.added(address);
          });
        }}
      >
        <label htmlFor={`${id}-email`}>{TEXT.memberEmail}</label>
        <input
          id={`${id}-email`}
          type="email"
          value={email}
          onChange={(e) => setEmail(e.target.value)}
          placeholder="name@example.com"
          required
        />
        <button type="submit">{TEXT.add}</button>
      </form>
    </section>
  );
}

function BoardColumns({ board, run, onBoard }: { board: Board; run: Run; onBoard: (board: Board) => void }) {
  const TEXT = useText();
  const id = useId();
  const [name, setName] = useState("");
  const [editing, setEditing] = useState<string | null>(null);
  const columns = board.columns;

  function move(column: Column, step: -1 | 1) {
    const target = columnMove(columns, column.id, step);
    if (target === null) return;
    void run(async () => {
      onBoard(await updateColumn(board.id, column, { position: target }));
      window.setTimeout(() => document.getElementById(`column-move-${column.id}-${step}`)?.focus(), 0);
      return TEXT.columnMoved(column.name, target + 1);
    });
  }

  return (
    <section aria-labelledby={`${id}-columns`}>
      <h3 id={`${id}-columns`}>{TEXT.columns}</h3>
      <ol className="column-settings">
        {columns.map((column, index) => (
          <li key={column.id}>
            {editing === column.id ? (
              <ColumnRename
                column={column}
                onCancel={() => setEditing(null)}
                onSave={(newName) =>
                  void run(async () => {
                    onBoard(await updateColumn(board.id, column, { name: newName }));
                    setEditing(null);
                    return null;
                  })
                }
              />
            ) : (
              <>
                <span className="column-settings-name">{column.name}</span>
                <button
                  type="button"
                  className="button-small"
                  aria-label={TEXT.renameColumnLabel(column.name)}
                  onClick={() => setEditing(column.id)}
                >
                  {TEXT.renameColumn}
                </button>
              </>
            )}
            <button
              type="button"
              id={`column-move-${column.id}--1`}
              className="button-small"
              disabled={index === 0}
              onClick={() => move(column, -1)}
            >
              <Hidden i18nKey="settings.moveLeft" name={column.name} />
            </button>
            <button
              type="button"
              id={`column-move-${column.id}-1`}
              className="button-small"
              disabled={index === columns.length - 1}
              onClick={() => move(column, 1)}
            >
              <Hidden i18nKey="settings.moveRight" name={column.name} />
            </button>
            <button
              type="button"
              className="button-small"
              aria-label={TEXT.deleteColumnLabel(column.name)}
              disabled={columns.length === 1}
              onClick={() => {
                if (!window.confirm(TEXT.confirmDeleteColumn(column.name))) return;
                void run(async () => {
                  onBoard(await deleteColumn(board.id, column.id));
                  return TEXT.columnDeleted(column.name);
                });
              }}
            >
              {TEXT.deleteColumn}
            </button>
            <WipLimit key={`${column.id}-${column.wip_limit ?? ""}`} board={board} column={column} run={run} onBoard={onBoard} />
          </li>
        ))}
      </ol>
      <form
        className="inline-form"
        onSubmit={(event: FormEvent) => {
          event.preventDefault();
          const added = name.trim();
          void run(async () => {
            onBoard(await addColumn(board.id, added));
            setName("");
            return TEXT.columnAdded(added);
          });
        }}
      >
        <label htmlFor={`${id}-new-column`}>{TEXT.newColumn}</label>
        <input id={`${id}-new-column`} value={name} onChange={(e) => setName(e.target.value)} required maxLength={100} />
        <button type="submit">{TEXT.addColumn}</button>
      </form>
    </section>
  );
}

function ColumnRename({
  column,
  onSave,
  onCancel,
}: {
  column: Column;
  onSave: (name: string) => void;
  onCancel: () => void;
}) {
  const TEXT = useText();
  const id = useId();
  const [name, setName] = useState(column.name);
  return (
    <form
      className="inline-form"
      onSubmit={(event: FormEvent) => {
        event.preventDefault();
        onSave(name.trim());
      }}
    >
      <label htmlFor={`${id}-name`} className="visually-hidden">
        {TEXT.columnName(column.name)}
      </label>
      <input id={`${id}-name`} value={name} onChange={(e) => setName(e.target.value)} required maxLength={100} autoFocus />
      <button type="submit" className="button-small" disabled={!name.trim()}>
        {TEXT.save}
      </button>
      <button type="button" className="button-small" onClick={onCancel}>
        {TEXT.cancel}
      </button>
    </form>
  );
}

const SLOT = "\u0000";

/** A button text whose <0> part names the column for screen readers only: shown "Move left",
 * read "Move the column To do left" (the order of the parts is the language's). The name
 * goes in after the message is split, so a column called "</0>" stays plain text. */
function Hidden({ i18nKey, name }: { i18nKey: string; name: string }) {
  const { t } = useTranslation();
  const text = t(i18nKey, { name: SLOT });
  const fill = (part: string) => part.split(SLOT).join(name);
  const parts = /^(.*)<0>(.*)<\/0>(.*)$/s.exec(text);
  if (!parts) return <>{fill(text)}</>;
  const [, before = "", hidden = "", after = ""] = parts;
  return (
    <>
      {fill(before)}
      <span className="visually-hidden">{fill(hidden)}</span>
      {fill(after)}
    </>
  );
}
