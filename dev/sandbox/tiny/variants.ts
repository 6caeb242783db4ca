import { createRng } from "../common/rng";

// Tiny's spec declares no response field required and most of them nullable, and the real API is
// not consistent in how it says "nothing": a simple product's `produtoPai` comes back as
// `{id: null, sku: null, descricao: null}`, empty dates as "" (tiny-api.md §3.4), other blanks as
// null or not at all. A sandbox that always picked one form would let a client depend on it. So
// every "no value" in an answer is rendered in one of the forms the spec allows, picked by a
// stream seeded per record and field: the same record reads the same way on every call (tests can
// compare two reads), different records differ, and the choice never looks at who is asking.

type Json = unknown;

/** A reference to nothing: an object whose `id` is null. */
const isEmptyRef = (value: Json): value is Record<string, unknown> => !!value && typeof value === "object" && !Array.isArray(value) && "id" in value && (value as { id: unknown }).id === null;

const ABSENT = Symbol("absent");

/** A blank's forms: null ↔ "" only where the spec types the field as a nullable string; left out anywhere (nothing is required). */
function blankForm(pick: () => number, value: Json, nullableString: boolean): Json | typeof ABSENT {
  if (isEmptyRef(value)) return pick() < 0.5 ? value : ABSENT;
  if (value === null || value === "") {
    const forms: Array<Json | typeof ABSENT> = nullableString ? [null, "", ABSENT] : [value, ABSENT];
    return forms[Math.floor(pick() * forms.length)];
  }
  return value;
}

function vary(seed: number, path: string, value: Json, nullableStrings: ReadonlySet<string>): Json {
  if (Array.isArray(value)) return value.map((entry, i) => vary(seed, `${path}[${i}]`, entry, new Set()));
  if (!value || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) {
    const here = `${path}.${key}`;
    const rng = createRng(`${seed}:${here}`);
    const form = blankForm(() => rng.next(), field, nullableStrings.has(key));
    if (form === ABSENT) continue;
    out[key] = isEmptyRef(form) ? form : vary(seed, here, form, new Set());
  }
  return out;
}

/**
 * `body` with each blank (null, "", a reference whose id is null) in a seeded form: kept, swapped
 * for the other blank its type allows, or left out. `record` names the resource ("produto:123"),
 * so the choice is stable for that record across calls and sandbox restarts with the same seed.
 * `nullableStrings` names the body's own fields the spec types as nullable strings.
 */
export function withBlanks<T>(seed: number, record: string, body: T, nullableStrings: readonly string[] = []): T {
  return vary(seed, record, body, new Set(nullableStrings)) as T;
}
