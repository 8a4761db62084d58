// My tasks: the open cards assigned to me on every board I can see, soonest due first,
// overdue ones marked in words and colour.

import { useTranslation } from "react-i18next";
import { Link } from "react-router";

import { myTasks } from "../api/vori";
import { ErrorMessage } from "../components/Notice";
import { useLoad, usePageTitle } from "../hooks";
import { useFormat } from "../i18n/format";

/** The browser's local calendar date as YYYY-MM-DD (overdue is judged by my own day). */
export function localDate(now: Date = new Date()): string {
  const month = String(now.getMonth() + 1).padStart(2, "0");
  const day = String(now.getDate()).padStart(2, "0");
  return `${now.getFullYear()}-${month}-${day}`;
}


export function MyTasksPage() {
  const { t } = useTranslation();
  const format = useFormat();
  const heading = usePageTitle(t("pages.tasks"));
  const today = localDate();
  const loaded = useLoad(() => myTasks(today), [today]);
  const tasks = loaded.data?.tasks ?? [];
  const overdue = loaded.data?.overdue ?? 0;

  return (
    <div className="page">
      <h1 ref={heading} tabIndex={-1}>
        {t("pages.tasks")}
      </h1>
      <p className="meta">{t("pages.tasksIntro")}</p>
      <ErrorMessage>{loaded.error}</ErrorMessage>
      {loaded.loading && !loaded.data && <p role="status">{t("common.loading")}</p>}
      {loaded.data && tasks.length === 0 && <p className="meta empty">{t("pages.noTasks")}</p>}
      {tasks.length > 0 && (
        <>
          <p role="status">
            {t("pages.openTasks", { count: tasks.length })}
            {overdue > 0 && <strong className="overdue-text">{t("pages.overdueCount", { count: overdue })}</strong>}
          </p>
          <ul className="my-tasks">
            {tasks.map((task) => (
              <li key={task.id} className={`my-task${task.overdue ? " my-task-overdue" : ""}`} data-card-id={task.id}>
                <Link to={`/boards/${encodeURIComponent(task.board_id)}`} className="my-task-title">
                  {task.title}
                </Link>
                <span className="meta">
                  {task.board_name} · {task.column}
                </span>
                <span className={task.overdue ? "overdue-text" : "meta"}>
                  {task.overdue && <strong>{t("pages.overdue")}</strong>}
                  <time dateTime={task.due_date ?? undefined}>
                    {task.due_date ? format.day(task.due_date) : t("pages.noDue")}
                  </time>
                </span>
              </li>
            ))}
          </ul>
        </>
      )}
    </div>
  );
}
