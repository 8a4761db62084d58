// Small React hooks the pages share.

import { type FormEvent, useCallback, useEffect, useRef, useState, useSyncExternalStore } from "react";
import { useNavigate } from "react-router";

import { errorText } from "./api/client";
import { getToken, onSessionChange } from "./api/session";

export function useToken(): string | null {
  return useSyncExternalStore(onSessionChange, getToken, getToken);
}

/** Sets the document title and moves focus to the page's main heading (for screen readers). */
export function usePageTitle(title: string): React.RefObject<HTMLHeadingElement | null> {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    document.title = title ? `${title} · vori` : "vori";
  }, [title]);
  useEffect(() => {
    heading.current?.focus({ preventScroll: true });
  }, []);
  return heading;
}

export interface Loaded<T> {
  data: T | undefined;
  error: string | null;
  loading: boolean;
  reload: () => void;
  setData: (update: T | ((current: T | undefined) => T)) => void;
}

/** Load data with an async function; errors become a readable message. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): Loaded<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [generation, setGeneration] = useState(0);
  const stableLoad = useCallback(load, deps);
  useEffect(() => {
    let cancelled = false;
    setLoading(true);
    stableLoad().then(
      (value) => {
        if (cancelled) return;
        setData(value);
        setError(null);
        setLoading(false);
      },
      (reason: unknown) => {
        if (cancelled) return;
        setError(errorText(reason));
        setLoading(false);
      },
    );
    return () => {
      cancelled = true;
    };
  }, [stableLoad, generation]);
  const reload = useCallback(() => setGeneration((g) => g + 1), []);
  const update = useCallback((value: T | ((current: T | undefined) => T)) => {
    setData((current) => (typeof value === "function" ? (value as (c: T | undefined) => T)(current) : value));
  }, []);
  return { data, error, loading, reload, setData: update };
}

/** Whether the browser believes it is online; the API errors say more. */
export function useOnline(): boolean {
  return useSyncExternalStore(
    (notify) => {
      window.addEventListener("online", notify);
      window.addEventListener("offline", notify);
      return () => {
        window.removeEventListener("online", notify);
        window.removeEventListener("offline", notify);
      };
    },
    () => navigator.onLine,
    () => true,
  );
}

export interface CreateForm {
  error: string | null;
  busy: boolean;
  submit: (event: FormEvent) => Promise<void>;
}

/** A form that creates something and opens its page (the path `create` resolves to): busy
 * from the submit on, and a failure as a readable message, the form left for another try. */
export function useCreateForm(create: () => Promise<string>): CreateForm {
  const navigate = useNavigate();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setError(null);
    setBusy(true);
    try {
      navigate(await create());
    } catch (reason) {
      setError(errorText(reason));
      setBusy(false);
    }
  }

  return { error, busy, submit };
}
