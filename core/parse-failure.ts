import type { z } from "zod";
import { redactText } from "./redact";

/**
 * A provider body that one of our response models refused, described so the model can be fixed
 * from the log alone: where (each issue's field path), what the model expected, and a redacted
 * excerpt of the object holding the first offending field. Zod's messages name types and
 * patterns, never the values, so `summary` is safe in an error message; `sample` quotes the body
 * and belongs in logs only.
 */
export interface ParseFailure {
  /** "produtoPai.id", "itens[3].situacao": the first few distinct paths. */
  paths: string[];
  /** "produtoPai.id: Invalid input; …", for an error message. */
  summary: string;
  /** The JSON of the object around the first issue, through redactText, cut to 500 characters. */
  sample: string;
}

const MAX_ISSUES = 5;
const MAX_SAMPLE = 500;

function pathText(path: ReadonlyArray<PropertyKey>): string {
  const text = path.map((key) => (typeof key === "number" ? `[${key}]` : `.${String(key)}`)).join("");
  return text.startsWith(".") ? text.slice(1) : text || "(body)";
}

/** The value one level above `path` (the whole body for a top-level field). */
function around(body: unknown, path: ReadonlyArray<PropertyKey>): unknown {
  let value = body;
  for (const key of path.slice(0, -1)) {
    if (!value || typeof value !== "object") return value;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

export function describeParseFailure(error: z.ZodError, body: unknown): ParseFailure {
  const issues = error.issues.slice(0, MAX_ISSUES);
  const paths = [...new Set(issues.map((issue) => pathText(issue.path)))];
  const summary = issues.map((issue) => `${pathText(issue.path)}: ${issue.message}`).join("; ");
  const first = issues[0];
  const json = JSON.stringify(first ? around(body, first.path) : body) ?? String(body);
  return { paths, summary, sample: redactText(json).slice(0, MAX_SAMPLE) };
}
