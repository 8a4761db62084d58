// A 422's validation errors (FastAPI's list: `loc`, `msg`, `type`, `ctx`) as sentences a
// person understands, in the interface language: "Display name: at most 200 characters."
// Every form shows request errors through the API client, so this is the one place.

/** One entry of FastAPI's (pydantic's) list of validation errors. */
export interface ValidationIssue {
  loc?: unknown[];
  msg?: string;
  type?: string;
  ctx?: Record<string, unknown>;
}

type Translate = (key: string, options?: Record<string, unknown>) => string;

const WHERE = new Set(["body", "query", "path", "header", "cookie"]);

/** Whether a parsed error body's list looks like FastAPI's validation errors. */
export function isValidationList(value: unknown): value is ValidationIssue[] {
  return Array.isArray(value) && value.every((item) => typeof item === "object" && item !== null && "msg" in item);
}

/** The field an error is about: the last name in its location ("vocabulary" of body.vocabulary.3). */
function fieldName(loc: unknown[] = []): string | null {
  const names = loc.filter((part): part is string => typeof part === "string" && !WHERE.has(part));
  return names.length ? names[names.length - 1]! : null;
}

function fieldLabel(name: string, t: Translate): string {
  const humane = name.replace(/_/g, " ");
  return t(`validation.fields.${name}`, { defaultValue: humane.charAt(0).toUpperCase() + humane.slice(1) });
}

function count(ctx: Record<string, unknown> | undefined, key: string): number | null {
  const value = ctx?.[key];
  return typeof value === "number" ? value : null;
}

/** What is wrong with the value, as the end of a sentence (no field name). */
function problem(issue: ValidationIssue, t: Translate): string {
  const ctx = issue.ctx;
  switch (issue.type) {
    case "missing":
      return t("validation.required");
    case "string_too_short": {
      const min = count(ctx, "min_length");
      return min === null || min <= 1 ? t("validation.blank") : t("validation.atLeastChars", { count: min });
    }
    case "string_too_long": {
      const max = count(ctx, "max_length");
      if (max !== null) return t("validation.atMostChars", { count: max });
      break;
    }
    case "too_short": {
      const min = count(ctx, "min_length");
      if (min !== null) return t("validation.atLeastItems", { count: min });
      break;
    }
    case "too_long": {
      const max = count(ctx, "max_length");
      if (max !== null) return t("validation.atMostItems", { count: max });
      break;
    }
  }
  // A validator's own reason ("Value error, term 1 (...) is longer than 64 characters").
  const text = (issue.msg ?? "").replace(/^(Value|Assertion) error, /, "").trim();
  return text || t("validation.invalid");
}

function sentence(text: string): string {
  return /[.!?。]$/.test(text) ? text : `${text}.`;
}

/** Each problem as one sentence: "Title: cannot be empty. Vocabulary: at most 200 items." */
export function validationMessage(issues: ValidationIssue[], t: Translate): string {
  return issues
    .map((issue) => {
      const name = fieldName(issue.loc);
      const what = problem(issue, t);
      if (name) return sentence(t("validation.field", { field: fieldLabel(name, t), problem: what }));
      return sentence(what.charAt(0).toUpperCase() + what.slice(1));
    })
    .join(" ");
}
