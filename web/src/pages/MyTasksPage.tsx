// My tasks: the open cards assigned to me on every board I can see, soonest due first,
// overdue ones marked in words and colour.

import { Link } from "react-router";

import { myTasks } from "../api/vori";
import type { MyTask } from "../api/types";
import { ErrorMessage } from "../components/Notice";
import { useLoad, usePageTitle } from "../hooks";

/** The browser's local calendar date as YYYY-MM-DD (overdue is judged by my own day). */
export function localDate(now: Date = new Date()): string {
  const month = String(now.getMonth() + 1).padStart(2, "0");
  const day = String(now.getDate()).padStart(2, "0");
  return `${now.getFullYear()}-${month}-${day}`;
}

function dueText(task: MyTask): string {
  if (!task.due_date) return "No due date";
  const [year, month, day] = task.due_date.split("-").map(Number);
  const date = new Date(year!, (month ?? 1) - 1, day ?? 1);
  return date.toLocaleDateString(undefined, { year: "numeric", month: "short", day: "numeric" });
}

export function MyTasksPage() {
  const heading = usePageTitle("My tasks");
  const today = localDate();
  const loaded = useLoad(() => myTasks(today), [today]);
  const tasks = loaded.data?.tasks ?? [];
  const overdue = loaded.data?.overdue ?? 0;

  return (
    <div className="page">
      <h1 ref={heading} tabIndex={-1}>
        My tasks
      </h1>
      <p className="meta">Open cards assigned to you on every board you can see, soonest due first.</p>
      <ErrorMessage>{loaded.error}</ErrorMessage>
      {loaded.loading && !loaded.data && <p role="status">Loading…</p>}
      {loaded.data && tasks.length === 0 && <p className="meta empty">Nothing is assigned to you. Enjoy the quiet.</p>}
      {tasks.length > 0 && (
        <>
          <p role="status">
            {tasks.length === 1 ? "1 open task" : `${tasks.length} open tasks`}
            {overdue > 0 && <strong className="overdue-text">, {overdue} overdue</strong>}
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
                  {task.overdue && <strong>Overdue: </strong>}
                  <time dateTime={task.due_date ?? undefined}>{dueText(task)}</time>
                </span>
              </li>
            ))}
          </ul>
        </>
      )}
    </div>
  );
}
