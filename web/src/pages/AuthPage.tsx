// Sign in and register, with the server's reason shown next to the form.

import { type FormEvent, useState } from "react";
import { Link, Navigate, useSearchParams } from "react-router";

import { ApiError, errorText } from "../api/client";
import { decodeClaims, isExpired, refreshSession, setToken, takeNotice } from "../api/session";
import { register, signIn } from "../api/vori";
import { ErrorMessage, InfoMessage } from "../components/Notice";
import { usePageTitle, useToken } from "../hooks";

export function AuthPage({ mode }: { mode: "login" | "register" }) {
  const registering = mode === "register";
  const heading = usePageTitle(registering ? "Create an account" : "Sign in");
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
    const problem = checkForm(registering, name, email, password);
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
      setError(describe(reason, registering));
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
        <h1 ref={heading} tabIndex={-1}>
          {registering ? "Create an account" : "Sign in"}
        </h1>
        <InfoMessage>{notice}</InfoMessage>
        <form onSubmit={submit} aria-describedby={error ? "auth-error" : undefined} noValidate>
          {registering && (
            <label>
              Your name
              <input value={name} onChange={(e) => setName(e.target.value)} autoComplete="name" required />
            </label>
          )}
          <label>
            E-mail
            <input
              type="email"
              value={email}
              onChange={(e) => setEmail(e.target.value)}
              autoComplete={registering ? "email" : "username"}
              required
            />
          </label>
          <label>
            Password
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
            {busy ? "Please wait…" : registering ? "Create account" : "Sign in"}
          </button>
        </form>
        <p>
          {registering ? (
            <>
              Already have an account? <Link to={`/login?next=${encodeURIComponent(next)}`}>Sign in</Link>
            </>
          ) : (
            <>
              New here? <Link to={`/register?next=${encodeURIComponent(next)}`}>Create an account</Link>
            </>
          )}
        </p>
      </div>
    </main>
  );
}

/** The same rules the server applies, said before the round trip. */
function checkForm(registering: boolean, name: string, email: string, password: string): string | null {
  if (registering && !name.trim()) return "Enter your name: the others see it next to what you say.";
  if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email.trim())) return "Enter your e-mail address, like name@example.com.";
  if (!password) return "Enter your password.";
  if (registering && password.length < 8) return "The password needs at least 8 characters.";
  return null;
}

function describe(reason: unknown, registering: boolean): string {
  if (reason instanceof ApiError) {
    if (reason.kind === "unauthorized") return "Wrong e-mail or password.";
    if (reason.status === 409) return "An account with this e-mail already exists. Sign in instead.";
    if (reason.kind === "invalid" && registering) return `Cannot create the account: ${reason.message}`;
  }
  return errorText(reason);
}

/** Only same-site paths, so that a crafted link cannot send people elsewhere after sign-in. */
function safeNext(next: string | null): string {
  return next && next.startsWith("/") && !next.startsWith("//") ? next : "/";
}
