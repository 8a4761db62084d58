// Sign in and register, with the server's reason shown next to the form.

import { type FormEvent, useState } from "react";
import type { TFunction } from "i18next";
import { useTranslation } from "react-i18next";
import { Link, Navigate, useSearchParams } from "react-router";

import { ApiError, errorText } from "../api/client";
import { ENDED_NOTICE, EXPIRED_NOTICE, decodeClaims, isExpired, refreshSession, setToken, takeNotice } from "../api/session";
import { register, signIn } from "../api/vori";
import { LanguageSwitch } from "../components/Layout";
import { ErrorMessage, InfoMessage } from "../components/Notice";
import { usePageTitle, useToken } from "../hooks";

export function AuthPage({ mode }: { mode: "login" | "register" }) {
  const { t } = useTranslation();
  const registering = mode === "register";
  const heading = usePageTitle(registering ? t("auth.register") : t("auth.signIn"));
  const [params] = useSearchParams();
  const token = useToken();
  const [notice] = useState(() => takeNotice());
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [name, setName] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const next = safeNext(params.get("next"));

  const claims = token ? decodeClaims(token) : null;
  if (claims && !isExpired(claims)) return <Navigate to={next} replace />;

  async function submit(event: FormEvent) {
    event.preventDefault();
    setError(null);
    const problem = checkForm(t, registering, name, email, password);
    if (problem) {
      setError(problem);
      return;
    }
    setBusy(true);
    try {
      if (registering) {
        // Registering signs this browser in (the refresh cookie); no second password check.
        await register(email.trim(), password, name.trim() || email.trim());
        if (!(await refreshSession())) setToken(await signIn(email.trim(), password));
      } else {
        setToken(await signIn(email.trim(), password));
      }
    } catch (reason) {
      setError(describe(t, reason, registering));
    } finally {
      setBusy(false);
    }
  }

  return (
    <main id="main" className="auth-page">
      <div className="auth-card">
        <p className="brand brand-large">
          <img src="/favicon.svg" alt="" width="32" height="32" />
          vori
        </p>
        <LanguageSwitch />
        <h1 ref={heading} tabIndex={-1}>
          {registering ? t("auth.register") : t("auth.signIn")}
        </h1>
        <InfoMessage>{notice === EXPIRED_NOTICE ? t("messages.expired") : notice === ENDED_NOTICE ? t("messages.ended") : notice}</InfoMessage>
        <form onSubmit={submit} aria-describedby={error ? "auth-error" : undefined} noValidate>
          {registering && (
            <label>
              {t("auth.name")}
              <input value={name} onChange={(e) => setName(e.target.value)} autoComplete="name" required />
            </label>
          )}
          <label>
            {t("auth.email")}
            <input
              type="email"
              value={email}
              onChange={(e) => setEmail(e.target.value)}
              autoComplete={registering ? "email" : "username"}
              required
            />
          </label>
          <label>
            {t("auth.password")}
            <input
              type="password"
              value={password}
              onChange={(e) => setPassword(e.target.value)}
              autoComplete={registering ? "new-password" : "current-password"}
              minLength={registering ? 8 : undefined}
              required
            />
          </label>
          <ErrorMessage id="auth-error">{error}</ErrorMessage>
          <button type="submit" className="button-primary" disabled={busy}>
            {busy ? t("auth.wait") : registering ? t("auth.createAccount") : t("auth.signIn")}
          </button>
        </form>
        <p>
          {registering ? (
            <>
              {t("auth.haveAccount")} <Link to={`/login?next=${encodeURIComponent(next)}`}>{t("auth.signIn")}</Link>
            </>
          ) : (
            <>
              {t("auth.newHere")} <Link to={`/register?next=${encodeURIComponent(next)}`}>{t("auth.register")}</Link>
            </>
          )}
        </p>
      </div>
    </main>
  );
}

/** The same rules the server applies, said before the round trip. */
function checkForm(t: TFunction, registering: boolean, name: string, email: string, password: string): string | null {
  if (registering && !name.trim()) return t("auth.needName");
  if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email.trim())) return t("auth.needEmail");
  if (!password) return t("auth.needPassword");
  if (registering && password.length < 8) return t("auth.shortPassword");
  return null;
}

function describe(t: TFunction, reason: unknown, registering: boolean): string {
  if (reason instanceof ApiError) {
    if (reason.kind === "unauthorized") return t("auth.wrong");
    if (reason.status === 409) return t("auth.exists");
    if (reason.kind === "invalid" && registering) return t("auth.cannotCreate", { reason: reason.message });
  }
  return errorText(reason);
}

/** Only same-site paths, so that a crafted link cannot send people elsewhere after sign-in. */
function safeNext(next: string | null): string {
  return next && next.startsWith("/") && !next.startsWith("//") ? next : "/";
}
