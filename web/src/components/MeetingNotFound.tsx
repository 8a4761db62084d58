// What a meeting's pages show in place of the meeting when the caller cannot see it: it
// does not exist, or they are not (or no longer) a member; the server answers all with 404.

import type { RefObject } from "react";
import { useTranslation } from "react-i18next";
import { Link } from "react-router";

import { ApiError } from "../api/client";

/** A meeting load that answers 404 as null, so a page shows MeetingNotFound. */
export function notFoundAsNull(reason: unknown): null {
  if (reason instanceof ApiError && reason.kind === "not_found") return null;
  throw reason;
}

interface Props {
  heading: RefObject<HTMLHeadingElement | null>;
  /** The caller was removed from the meeting while on the page. */
  removed?: boolean;
}

export function MeetingNotFound({ heading, removed = false }: Props) {
  const { t } = useTranslation();
  return (
    <div className="page page-narrow">
      <h1 ref={heading} tabIndex={-1}>
        {removed ? t("room.goneHeading") : t("room.notFoundHeading")}
      </h1>
      <p role={removed ? "alert" : undefined} className={removed ? "banner banner-warning" : undefined}>
        {removed ? t("messages.removed") : t("room.notFound")}
      </p>
      <p>
        <Link to="/">{t("room.back")}</Link>
      </p>
    </div>
  );
}
