// A board's webhooks: its owner and members tell other systems when a meeting ended, its
// final summary is ready or a card was created or changed (docs/protocol.md, Webhooks).
// The secret is shown once, right after creation; each webhook lists its latest deliveries.

import { type FormEvent, useId, useState } from "react";
import { useTranslation } from "react-i18next";

import type { Webhook, WebhookEvent } from "../api/types";
import { addWebhook, boardWebhooks, deleteWebhook, webhookDeliveries } from "../api/vori";
import { ErrorMessage } from "../components/Notice";
import { useLoad } from "../hooks";

const EVENTS: WebhookEvent[] = ["meeting.ended", "summary.final", "card.created", "card.changed"];

type Run = (action: () => Promise<string | null>) => Promise<void>;

export function BoardWebhooks({ boardId, run }: { boardId: string; run: Run }) {
  const { t } = useTranslation();
  const id = useId();
  const hooks = useLoad(() => boardWebhooks(boardId), [boardId]);
  const [url, setUrl] = useState("");
  const [events, setEvents] = useState<WebhookEvent[]>(["meeting.ended", "summary.final"]);
  const [created, setCreated] = useState<Webhook | null>(null);
  const toggle = (event: WebhookEvent) =>
    setEvents((current) => (current.includes(event) ? current.filter((e) => e !== event) : [...current, event]));
  return (
    <section aria-labelledby={`${id}-webhooks`}>
      <h3 id={`${id}-webhooks`}>{t("webhooks.heading")}</h3>
      <p className="meta">{t("webhooks.help")}</p>
      <ErrorMessage>{hooks.error}</ErrorMessage>
      {created?.secret && (
        <p className="notice notice-info" role="status">
          {t("webhooks.secretOnce")} <code>{created.secret}</code>
        </p>
      )}
      <ul className="people">
        {(hooks.data ?? []).map((hook) => (
          <li key={hook.id}>
            <span>
              {hook.url} <span className="meta">{hook.events.join(", ")}</span>
              <Deliveries webhookId={hook.id} />
            </span>
            <button
              type="button"
              className="button-small"
              aria-label={t("webhooks.removeLabel", { url: hook.url })}
              onClick={() => {
                if (!window.confirm(t("webhooks.confirmRemove", { url: hook.url }))) return;
                void run(async () => {
                  await deleteWebhook(hook.id);
                  hooks.reload();
                  return null;
                });
              }}
            >
              {t("webhooks.remove")}
            </button>
          </li>
        ))}
      </ul>
      {hooks.data?.length === 0 && <p className="meta">{t("webhooks.none")}</p>}
      <form
        className="inline-form"
        onSubmit={(event: FormEvent) => {
          event.preventDefault();
          void run(async () => {
            const hook = await addWebhook(boardId, url.trim(), events);
            setCreated(hook);
            setUrl("");
            hooks.reload();
            return t("webhooks.added", { url: hook.url });
          });
        }}
      >
        <label htmlFor={`${id}-url`}>{t("webhooks.url")}</label>
        <input
          id={`${id}-url`}
          type="url"
          value={url}
          onChange={(e) => setUrl(e.target.value)}
          placeholder="https://example.com/vori"
          required
          maxLength={2000}
        />
        <fieldset>
          <legend className="visually-hidden">{t("webhooks.events")}</legend>
          {EVENTS.map((event) => (
            <label key={event}>
              <input type="checkbox" checked={events.includes(event)} onChange={() => toggle(event)} /> {event}
            </label>
          ))}
        </fieldset>
        <button type="submit" disabled={!url.trim() || events.length === 0}>
          {t("webhooks.add")}
        </button>
      </form>
    </section>
  );
}

function Deliveries({ webhookId }: { webhookId: string }) {
  const { t } = useTranslation();
  const deliveries = useLoad(() => webhookDeliveries(webhookId), [webhookId]);
  const list = deliveries.data ?? [];
  return (
    <details>
      <summary>{t("webhooks.deliveries", { count: list.length })}</summary>
      <button type="button" className="button-small" onClick={deliveries.reload}>
        {t("webhooks.refresh")}
      </button>
      <ul>
        {list.map((delivery) => (
          <li key={delivery.id}>
            {delivery.event} · {t(`webhooks.status.${delivery.status}`)} ·{" "}
            {t("webhooks.attempts", { count: delivery.attempts })}
            {delivery.last_status_code !== null && ` · HTTP ${delivery.last_status_code}`}
            {delivery.last_error && <span className="meta"> · {delivery.last_error}</span>}
          </li>
        ))}
      </ul>
    </details>
  );
}
