// The interface language: English or Korean, first from the browser, then the person's
// choice (kept in localStorage); <html lang> follows it.

import i18next from "i18next";
import { initReactI18next } from "react-i18next";

import { en } from "./en";
import { ko } from "./ko";

export const LANGUAGES = ["en", "ko"] as const;
export type UiLanguage = (typeof LANGUAGES)[number];

const STORAGE_KEY = "vori.language";

function isUiLanguage(value: unknown): value is UiLanguage {
  return typeof value === "string" && (LANGUAGES as readonly string[]).includes(value);
}

/** The stored choice, else the first browser language we have ("ko-KR" → "ko"), else English. */
export function pickLanguage(stored: string | null, preferred: readonly string[]): UiLanguage {
  if (isUiLanguage(stored)) return stored;
  for (const tag of preferred) {
    const base = tag.toLowerCase().split("-")[0];
    if (isUiLanguage(base)) return base;
  }
  return "en";
}

function storedChoice(): string | null {
  try {
    return globalThis.localStorage?.getItem(STORAGE_KEY) ?? null;
  } catch {
    return null; // storage refused (private mode, policy): the browser's languages decide
  }
}

const browserLanguages = (): readonly string[] =>
  typeof navigator === "undefined" ? [] : navigator.languages?.length ? navigator.languages : [navigator.language];

function showLanguage(language: string) {
  if (typeof document !== "undefined") document.documentElement.lang = language;
}

void i18next.use(initReactI18next).init({
  resources: { en: { translation: en }, ko: { translation: ko } },
  lng: pickLanguage(storedChoice(), browserLanguages()),
  fallbackLng: "en",
  supportedLngs: [...LANGUAGES],
  interpolation: { escapeValue: false }, // React escapes
  returnNull: false,
  initAsync: false,
});
showLanguage(i18next.language);
i18next.on("languageChanged", showLanguage);

/** Switch the interface language and remember the choice in this browser. */
export function chooseLanguage(language: UiLanguage) {
  try {
    globalThis.localStorage?.setItem(STORAGE_KEY, language);
  } catch {
    // not remembered; the switch still applies to this page
  }
  void i18next.changeLanguage(language);
}

export { i18next };
