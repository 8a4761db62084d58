// Search across every meeting the user is in: titles, transcripts, summaries, cards.
// Each hit links to its moment; matches are marked with <mark> built from offsets.

import { useEffect, useState } from "react";
import type { TFunction } from "i18next";
import { useTranslation } from "react-i18next";
import { Link, useSearchParams } from "react-router";

import { errorText } from "../api/client";
import { type HitKind, type SearchHit, hitLink, searchMeetings } from "../api/search";
import { ErrorMessage } from "../components/Notice";
import { usePageTitle } from "../hooks";
import { useFormat } from "../i18n/format";
import { formatTime } from "../live/transcript";
import { markedParts } from "../search/highlight";

const KIND_LABEL: Record<HitKind, string> = {
  meeting: "pages.kindMeeting",
  segment: "pages.kindSegment",
  summary: "pages.kindSummary",
  card: "pages.kindCard",
};

const FIELD_LABEL: Record<string, string> = {
  overview: "pages.fieldOverview",
  key_point: "pages.fieldKeyPoint",
  decision: "pages.fieldDecision",
};

export function SearchPage() {
  const { t } = useTranslation();
  const [params] = useSearchParams();
  const query = (params.get("q") ?? "").trim();
  const heading = usePageTitle(query ? t("pages.searchTitle", { query }) : t("pages.search"));
  const [hits, setHits] = useState<SearchHit[]>([]);
  const [next, setNext] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);

  useEffect(() => {
    setHits([]);
    setNext(null);
    setError(null);
    if (!query) return;
    const abort = new AbortController();
    setLoading(true);
    searchMeetings(query, 0, 20, abort.signal).then(
      (page) => {
        setHits(page.hits);
        setNext(page.next_offset);
        setLoading(false);
      },
      (reason: unknown) => {
        if (abort.signal.aborted) return;
        setError(errorText(reason));
        setLoading(false);
      },
    );
    return () => abort.abort();
  }, [query]);

  async function more() {
    if (next === null) return;
    setLoading(true);
    try {
      const page = await searchMeetings(query, next);
      setHits((current) => [...current, ...page.hits]);
      setNext(page.next_offset);
    } catch (reason) {
      setError(errorText(reason));
    } finally {
      setLoading(false);
    }
  }

  return (
    <div className="page page-narrow">
      <h1 ref={heading} tabIndex={-1}>
        {query ? t("pages.resultsFor", { query }) : t("pages.searchYours")}
      </h1>
      <ErrorMessage>{error}</ErrorMessage>
      {!query && <p className="meta">{t("pages.searchHint")}</p>}
      <p className="meta" role="status">
        {loading ? t("pages.searching") : query && !error ? resultCount(t, hits.length, next !== null) : ""}
      </p>
      <ol className="search-results">
        {hits.map((hit) => (
          <li key={`${hit.kind}:${hit.segment_id ?? hit.card_id ?? hit.field ?? ""}:${hit.meeting_id}:${hit.snippet}`}>
            <SearchResult hit={hit} />
          </li>
        ))}
      </ol>
      {next !== null && (
        <button type="button" onClick={() => void more()} disabled={loading}>
          {t("pages.moreResults")}
        </button>
      )}
    </div>
  );
}

function resultCount(t: TFunction, count: number, more: boolean): string {
  if (count === 0) return t("pages.nothingFound");
  return t(more ? "pages.resultsMore" : "pages.results", { count });
}

function SearchResult({ hit }: { hit: SearchHit }) {
  const { t } = useTranslation();
  const format = useFormat();
  const field = hit.field ? FIELD_LABEL[hit.field] : undefined;
  const where = hit.kind === "segment" ? formatTime(hit.meeting_start ?? hit.start ?? 0) : null;
  return (
    <article className="search-hit">
      <p className="meta">
        <span className="search-kind">
          {t(KIND_LABEL[hit.kind])}
          {field ? ` · ${t(field)}` : ""}
        </span>
        {" · "}
        <Link to={`/meetings/${encodeURIComponent(hit.meeting_id)}`}>{hit.meeting_title}</Link>
        {" · "}
        <time dateTime={hit.meeting_created_at}>{format.date(hit.meeting_created_at)}</time>
      </p>
      <Link to={hitLink(hit)} className="search-snippet">
        {where && (
          <span className="search-moment">
            {where}
            {hit.speaker ? ` ${hit.speaker}` : ""}:{" "}
          </span>
        )}
        {markedParts(hit.snippet, hit.highlights).map((part, i) =>
          part.match ? <mark key={i}>{part.text}</mark> : <span key={i}>{part.text}</span>,
        )}
      </Link>
    </article>
  );
}
