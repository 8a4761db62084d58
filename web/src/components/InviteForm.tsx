// Add a member to a meeting by e-mail.

import { type FormEvent, useId, useState } from "react";
import { useTranslation } from "react-i18next";

import { ApiError, errorText } from "../api/client";
import { inviteMember } from "../api/vori";
import { ErrorMessage, InfoMessage } from "./Notice";

export function InviteForm({ meetingId, onInvited }: { meetingId: string; onInvited?: () => void }) {
  const { t } = useTranslation();
  const id = useId();
  const [email, setEmail] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setError(null);
    setDone(null);
    setBusy(true);
    try {
      await inviteMember(meetingId, email.trim());
      setDone(t("share.invited", { email: email.trim() }));
      setEmail("");
      onInvited?.();
    } catch (reason) {
      setError(
        reason instanceof ApiError && reason.kind === "not_found"
          ? t("share.noAccount", { email: email.trim() })
          : errorText(reason),
      );
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="inline-form" onSubmit={submit}>
      <label htmlFor={`${id}-email`}>{t("share.inviteBy")}</label>
      <input
        id={`${id}-email`}
        type="email"
        value={email}
        onChange={(e) => setEmail(e.target.value)}
        placeholder="name@example.com"
        required
      />
      <button type="submit" disabled={busy}>
        {t("share.invite")}
      </button>
      <ErrorMessage>{error}</ErrorMessage>
      <InfoMessage>{done}</InfoMessage>
    </form>
  );
}
