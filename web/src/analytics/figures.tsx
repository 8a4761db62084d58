// What the analytics pages share: one figure with its name and note, and the formatters of
// durations and numbers in the reader's locale.

import { useFormat } from "../i18n/format";
import { formatDuration, formatNumber } from "./shape";

/** `duration(seconds)` and `number(value, digits)` in the reader's locale. */
export function useFigureFormat() {
  const { locale } = useFormat();
  return {
    duration: (seconds: number) => formatDuration(seconds, locale),
    number: (value: number | null | undefined, digits: number) => formatNumber(value, digits, locale),
  };
}

/** One figure of a `<dl className="stats">`: its name, its value and an optional note. */
export function Stat({ name, value, note }: { name: string; value: string; note?: string }) {
  return (
    <div className="stat">
      <dt>{name}</dt>
      <dd>
        <span className="stat-value">{value}</span>
        {note && <span className="meta stat-note">{note}</span>}
      </dd>
    </div>
  );
}
