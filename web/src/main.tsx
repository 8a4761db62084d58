// Entry point: the routes of the app.

import { type ComponentType, StrictMode, Suspense, lazy } from "react";
import { createRoot } from "react-dom/client";
import { Link, RouterProvider, createBrowserRouter } from "react-router";

import { useTranslation } from "react-i18next";

import { restoreSession } from "./api/session";
import { Layout } from "./components/Layout";
import { usePageTitle } from "./hooks";
import "./i18n";
import { AuthPage } from "./pages/AuthPage";
import { BoardPage, BoardsPage } from "./pages/BoardPage";
import { MeetingRoom } from "./pages/MeetingRoom";
import { MeetingsPage } from "./pages/MeetingsPage";
import { MyTasksPage } from "./pages/MyTasksPage";
import { SearchPage } from "./pages/SearchPage";
import { SummaryPage } from "./pages/SummaryPage";
import "./styles.css";

// The analytics pages carry the charting library: loaded when first opened, not with the app.
function deferred(load: () => Promise<ComponentType>) {
  const Page = lazy(async () => ({ default: await load() }));
  return (
    <Suspense
      fallback={
        <Loading />
      }
    >
      <Page />
    </Suspense>
  );
}

function Loading() {
  const { t } = useTranslation();
  return (
    <p className="page" role="status">
      {t("common.loading")}
    </p>
  );
}

function NotFound() {
  const { t } = useTranslation();
  const heading = usePageTitle(t("notFound.title"));
  return (
    <div className="page page-narrow">
      <h1 ref={heading} tabIndex={-1}>
        {t("notFound.title")}
      </h1>
      <p>
        {t("notFound.body")} <Link to="/">{t("notFound.back")}</Link>
      </p>
    </div>
  );
}

const router = createBrowserRouter([
  { path: "/login", element: <AuthPage mode="login" /> },
  { path: "/register", element: <AuthPage mode="register" /> },
  {
    element: <Layout />,
    children: [
      { path: "/", element: <MeetingsPage /> },
      { path: "/meetings/:meetingId", element: <MeetingRoom /> },
      { path: "/meetings/:meetingId/summary", element: <SummaryPage /> },
      {
        path: "/meetings/:meetingId/analytics",
        element: deferred(async () => (await import("./pages/MeetingAnalyticsPage")).MeetingAnalyticsPage),
      },
      { path: "/search", element: <SearchPage /> },
      { path: "/tasks", element: <MyTasksPage /> },
      { path: "/boards", element: <BoardsPage /> },
      { path: "/boards/:boardId", element: <BoardPage /> },
      {
        path: "/boards/:boardId/analytics",
        element: deferred(async () => (await import("./pages/BoardAnalyticsPage")).BoardAnalyticsPage),
      },
      { path: "*", element: <NotFound /> },
    ],
  },
]);

// A reload keeps the person signed in: the refresh cookie is traded for an access token
// before the first page decides whether to show the sign-in form.
void restoreSession().finally(() =>
  createRoot(document.getElementById("root")!).render(
    <StrictMode>
      <RouterProvider router={router} />
    </StrictMode>,
  ),
);
