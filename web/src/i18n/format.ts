// Dates, times, relative times and numbers in the reader's locale, all through Intl.

import { useTranslation } from "react-i18next";

type Moment = string | number | Date;

const asDate = (value: Moment) => (value instanceof Date ? value : new Date(value));

/** Date and time, e.g. "Dec 1, 2026, 9:30 AM" or "2026. 12. 1. 오전 9:30". */
export function formatDateTime(value: Moment, locale: string): string {
  return new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeStyle: "short" }).format(asDate(value));
}

/** A day, e.g. "Dec 1, 2026" or "2026. 12. 1.". */
export function formatDate(value: Moment, locale: string, options?: Intl.DateTimeFormatOptions): string {
  return new Intl.DateTimeFormat(locale, options ?? { dateStyle: "medium" }).format(asDate(value));
}

/** A calendar day written "2026-12-01" (a due date: no time, no zone), read as that local day. */
export function formatDay(day: string, locale: string, options?: Intl.DateTimeFormatOptions): string {
  const [year, month, date] = day.split("-").map(Number);
  return year && month && date ? formatDate(new Date(year, month - 1, date), locale, options) : day;
}

/** A time of day, e.g. "9:30:05 AM" or "오전 9:30:05". */
export function formatTime(value: Moment, locale: string): string {
  return new Intl.DateTimeFormat(locale, { timeStyle: "medium" }).format(asDate(value));
}

const STEPS: [Intl.RelativeTimeFormatUnit, number][] = [
  ["second", 60],
  ["minute", 60],
  ["hour", 24],
  ["day", 7],
  ["week", 4.35],
  ["month", 12],
  ["year", Infinity],
];

/** How long ago (or ahead) from `now`, e.g. "3 minutes ago" or "3분 전". */
export function formatRelative(value: Moment, locale: string, now: Moment = Date.now()): string {
  let amount = (asDate(value).getTime() - asDate(now).getTime()) / 1000;
  const format = new Intl.RelativeTimeFormat(locale, { numeric: "auto" });
  for (const [unit, size] of STEPS) {
    if (Math.abs(amount) < size) return format.format(Math.round(amount), unit);
    amount /= size;
  }
  return format.format(Math.round(amount), "year");
}

/** A number with the locale's grouping, e.g. "1,234.5". */
export function formatNumber(value: number, locale: string, options?: Intl.NumberFormatOptions): string {
  return new Intl.NumberFormat(locale, options).format(value);
}

/** The helpers above, bound to the language the interface is in now. */
export function useFormat() {
  const { i18n } = useTranslation();
  const locale = i18n.resolvedLanguage ?? i18n.language ?? "en";
  return {
    locale,
    dateTime: (value: Moment) => formatDateTime(value, locale),
    date: (value: Moment, options?: Intl.DateTimeFormatOptions) => formatDate(value, locale, options),
    day: (day: string, options?: Intl.DateTimeFormatOptions) => formatDay(day, locale, options),
    time: (value: Moment) => formatTime(value, locale),
    relative: (value: Moment, now?: Moment) => formatRelative(value, locale, now),
    number: (value: number, options?: Intl.NumberFormatOptions) => formatNumber(value, locale, options),
  };
}
