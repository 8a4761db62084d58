// The frame of every signed-in page: skip link, header with navigation, main landmark.

import { useEffect, useState } from "react";
import { Link, NavLink, Navigate, Outlet, useLocation, useNavigate } from "react-router";

import { EXPIRED_NOTICE, decodeClaims, endSession, isExpired } from "../api/session";
import { useOnline, useToken } from "../hooks";

export function Layout() {
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
        Skip to main content
      </a>
      <header className="app-header">
        <Link to="/" className="brand" aria-label="vori home">
          <img src="/favicon.svg" alt="" width="24" height="24" />
          vori
        </Link>
        <nav aria-label="Main">
          <NavLink to="/" end>
            Meetings
          </NavLink>
          <NavLink to="/boards">Boards</NavLink>
          <NavLink to="/tasks">My tasks</NavLink>
        </nav>
        <SearchBox />
        <div className="account">
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
            Sign out
          </button>
        </div>
      </header>
      {!online && (
        <p className="banner banner-warning" role="alert">
          You are offline. Cannot reach the vori server; changes wait until the connection is back.
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
        <span className="visually-hidden">Search all meetings</span>
        <input type="search" placeholder="Search meetings" maxLength={200} value={query} onChange={(e) => setQuery(e.target.value)} />
      </label>
    </form>
  );
}
