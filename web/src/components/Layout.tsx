// The frame of every signed-in page: skip link, header with navigation, main landmark.

import { useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { Link, NavLink, Navigate, Outlet, useLocation, useNavigate } from "react-router";

import { EXPIRED_NOTICE, decodeClaims, endSession, isExpired } from "../api/session";
import { useOnline, useToken } from "../hooks";
import { LANGUAGES, type UiLanguage, chooseLanguage } from "../i18n";
import { NotificationBell } from "../notifications/NotificationBell";

export function Layout() {
  const { t } = useTranslation();
  const token = useToken();
  const location = useLocation();
  const navigate = useNavigate();
  const online = useOnline();
  const claims = token ? decodeClaims(token) : null;
  const expired = claims ? isExpired(claims) : false;

  useEffect(() => {
    if (expired) endSession(EXPIRED_NOTICE);
  }, [expired]);

  useEffect(() => {
    if (!claims) return;
    // Sign out when the token expires while the page is open.
    const left = claims.exp * 1000 - Date.now();
    if (left <= 0 || left > 2 ** 31 - 1) return;
    const timer = window.setTimeout(() => endSession(EXPIRED_NOTICE), left);
    return () => window.clearTimeout(timer);
  }, [claims]);

  if (!token || !claims || expired) {
    const next = encodeURIComponent(location.pathname + location.search + location.hash);
    return <Navigate to={`/login?next=${next}`} replace />;
  }

  return (
    <>
      <a className="skip-link" href="#main">
        {t("common.skip")}
      </a>
      <header className="app-header">
        <Link to="/" className="brand" aria-label={t("layout.home")}>
          <img src="/favicon.svg" alt="" width="24" height="24" />
          vori
        </Link>
        <nav aria-label={t("layout.mainNav")}>
          <NavLink to="/" end>
            {t("layout.meetings")}
          </NavLink>
          <NavLink to="/boards">{t("layout.boards")}</NavLink>
          <NavLink to="/tasks">{t("layout.tasks")}</NavLink>
        </nav>
        <SearchBox />
        <LanguageSwitch />
        <div className="account">
          <NotificationBell />
          <span className="account-name" title={claims.email}>
            {claims.name || claims.email}
          </span>
          <button
            type="button"
            className="button-quiet"
            onClick={() => {
              endSession();
              navigate("/login");
            }}
          >
            {t("layout.signOut")}
          </button>
        </div>
      </header>
      {!online && (
        <p className="banner banner-warning" role="alert">
          {t("layout.offline")}
        </p>
      )}
      <main id="main" tabIndex={-1}>
        <Outlet />
      </main>
    </>
  );
}

/** One search over every meeting the user is in; results on /search?q=. */
function SearchBox() {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const location = useLocation();
  const current = location.pathname === "/search" ? (new URLSearchParams(location.search).get("q") ?? "") : "";
  const [query, setQuery] = useState(current);
  useEffect(() => setQuery(current), [current]);
  return (
    <form
      role="search"
      className="search app-search"
      onSubmit={(event) => {
        event.preventDefault();
        const q = query.trim();
        if (q) navigate(`/search?q=${encodeURIComponent(q)}`);
      }}
    >
      <label>
        <span className="visually-hidden">{t("layout.searchLabel")}</span>
        <input type="search" placeholder={t("layout.searchPlaceholder")} maxLength={200} value={query} onChange={(e) => setQuery(e.target.value)} />
      </label>
    </form>
  );
}

// Each language named in itself, so that a reader lost in the other one finds theirs.
const LANGUAGE_NAMES: Record<UiLanguage, string> = { en: "English", ko: "한국어" };

/** The interface language; the choice is remembered in this browser. */
export function LanguageSwitch() {
  const { t, i18n } = useTranslation();
  return (
    <label className="language-switch">
      <span className="visually-hidden">{t("layout.language")}</span>
      <select value={i18n.resolvedLanguage} onChange={(e) => chooseLanguage(e.target.value as UiLanguage)}>
        {LANGUAGES.map((language) => (
          <option key={language} value={language} lang={language}>
            {LANGUAGE_NAMES[language]}
          </option>
        ))}
      </select>
    </label>
  );
}
