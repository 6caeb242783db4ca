import fc from "fast-check";
import { sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { api, freshIp, problemFields, registerUser, type ApiResponse } from "../support/api";
import {
  fillPath,
  loadOperations,
  notProblemJson,
  pathIds,
  publishedSince,
  queryIds,
  recentMessages,
  RowWatch,
  tenant,
  tenantMarks,
  unlimited,
  validBodies,
  type Operation,
  type Tenant,
} from "./support";

/**
 * Every operation in /openapi.json, fed malformed paths, queries and bodies (fast-check, fixed
 * seed): never a 5xx; every 4xx is problem+json, with field errors when it is a 400 or 422; and
 * after a 4xx none of the user's rows changed and nothing about the user reached QStash.
 * A failure prints the seed, the path to the failing run and the request.
 */
const SEED = 1605;
const RUNS_PER_OPERATION = 25;

/** Never given the user's real ids: a well-formed request would delete what the rest of the run needs. */
const destructive: Record<string, string> = {
  "DELETE /users/{id}": "deletes the user under test",
  "DELETE /ml/accounts/{id}": "disconnects the ML account the other operations use",
  "DELETE /tinyerp/accounts/{id}": "disconnects the Tiny account the other operations use",
  "DELETE /tinyerp/accounts/{id}/webhook": "revokes the webhook secret the Tiny webhook operations use",
  "POST /tinyerp/accounts/{id}/webhook": "replaces the webhook secret the Tiny webhook operations use",
};

/** Ends the session it is called with, so each run gets a session of its own. */
const sessionEnding: Record<string, string> = {
  "POST /auth/logout": "ends the session",
};

const pastBigint = "9999999999999999999";
/** A cursor as the list pages encode them, around a value a client chose. */
const cursorOf = (value: Record<string, unknown>) =>
  btoa(JSON.stringify({ id: "01a25191-0380-72f2-9951-f92dd8ee965c", ...value }))
    .replaceAll("+", "-")
    .replaceAll("/", "_")
    .replace(/=+$/, "");
const uuidShaped = "-".repeat(36);

/**
 * Requests every run starts with, before the random ones: the bugs this fuzz found, kept as
 * regressions whatever the seed. Each was a 500: an ML id past bigint, a UUID-shaped run of dashes,
 * a NUL (which Postgres text cannot hold), or a crafted cursor carrying a NUL or a bare year,
 * reached the database from a path, a filter or a body.
 */
const knownCases = (t: Tenant): Record<string, Array<Partial<FuzzRequest>>> => {
  const notification = validBodies(t)["POST /webhooks/ml"] as Record<string, unknown>;
  return {
    "POST /webhooks/ml": [
      { body: json({ ...notification, user_id: "99999999999999999999" }, "user_id past bigint") },
      { body: json({ ...notification, user_id: 1e20 }, "user_id past bigint, as a number") },
      { body: json({ ...notification, application_id: "9223372036854775808" }, "application_id past bigint") },
    ],
    // Malformed JSON answered 400 without saying which field (the body) was at fault.
    "POST /auth/login": [{ body: { text: '{"email":', contentType: "application/json", what: "not JSON, sent as JSON" } }],
    "GET /ml/orders": [{ query: [["buyer", pastBigint]] }, { query: [["buyer", "\u0000"]] }, { query: [["status", "\u0000"]] }, { query: [["cursor", cursorOf({ s: "-created", v: "1" })]] }],
    "GET /ml/claims": [{ query: [["cursor", cursorOf({ s: "-created", v: "1" })]] }],
    "GET /ml/orders/{id}": [
      { path: { id: pastBigint }, query: [] },
      { path: { id: uuidShaped }, query: [] },
    ],
    "GET /ml/listings/{id}": [{ path: { id: uuidShaped }, query: [] }],
    "POST /ml/questions/{id}/answer": [
      { path: { id: pastBigint }, body: json({ text: "Sim" }, "valid") },
      // ML took the answer; storing it then failed, after the buyer had it.
      { path: { id: String(t.question.mlQuestionId) }, body: json({ text: "Sim\u0000" }, "NUL in the answer") },
    ],
    "GET /ml/shipments/{id}": [{ path: { id: pastBigint }, query: [] }],
    "GET /ml/shipments/{id}/label": [{ path: { id: pastBigint }, query: [] }],
    "GET /webhooks/events": [{ query: [["topic", "\u0000"]] }],
    "GET /ml/listings": [
      { query: [["sku", "a\u0000"]] },
      { query: [["q", "\u0000"]] },
      { query: [["status", "\u0000"]] },
      {
        query: [
          ["sort", "title"],
          ["cursor", cursorOf({ s: "title", v: "a\u0000" })],
        ],
      },
      { query: [["cursor", cursorOf({ s: "-updated", v: "1" })]] },
      {
        query: [
          ["sort", "price"],
          ["cursor", cursorOf({ s: "price", v: "9".repeat(400) })],
        ],
      },
    ],
    "GET /ml/questions": [{ query: [["status", "\u0000"]] }, { query: [["cursor", cursorOf({ s: "questions", r: 0, d: "1" })]] }],
    "PUT /users/{id}": [{ path: { id: t.seller.user.user.id }, body: json({ name: "Ana\u0000" }, "NUL in the name") }],
    "POST /auth/register": [{ body: json({ email: `nul-${crypto.randomUUID()}@example.com`, password: "correct horse battery", name: "\u0000" }, "NUL in the name") }],
  };
};

let operations: Operation[];
let user: Tenant;

beforeAll(async () => {
  operations = await loadOperations();
  user = await tenant();
}, 60_000);

// ---------------------------------------------------------------------------------------------
// Junk.

const nastyStrings = [
  "",
  " ",
  "\u0000",
  "null",
  "undefined",
  "NaN",
  "-1",
  "0",
  "1e309",
  "99999999999999999999",
  "9223372036854775808",
  "-9223372036854775809",
  "' OR '1'='1",
  "1; DROP TABLE users; --",
  "../../etc/passwd",
  "%00",
  "%",
  "😀",
  "ünïcødé ü",
  "\u202e",
  "\ud800",
  "MLB99999999999999999999",
  "00000000-0000-0000-0000-000000000000",
  "------------------------------------",
  "ffffffff-ffff-ffff-ffff-ffffffffffff",
  "<script>alert(1)</script>",
  "true",
  "[]",
  "{}",
];

const junkString = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...nastyStrings) },
  { weight: 2, arbitrary: fc.string({ unit: "grapheme", maxLength: 40 }) },
  { weight: 2, arbitrary: fc.stringMatching(/^-?\d{1,30}$/) },
  { weight: 1, arbitrary: fc.uuid() },
  { weight: 1, arbitrary: fc.string({ unit: "grapheme-ascii", minLength: 300, maxLength: 3000 }) },
);

const deepNest = fc.integer({ min: 50, max: 2000 }).map((depth) => {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = i % 2 ? [value] : { a: value };
  return value;
});

const junkValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: junkString },
  { weight: 3, arbitrary: fc.constantFrom<unknown>(null, true, false, 0, -1, 1.5, 2 ** 31, 2 ** 53, 2 ** 53 + 2, 1e20, -1e20, 1e308, Number.MIN_VALUE, [], {}) },
  { weight: 2, arbitrary: fc.integer() },
  { weight: 1, arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }) },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 1, arbitrary: deepNest },
);

type Key = string | number;

function leafPaths(value: unknown, prefix: Key[] = []): Key[][] {
  if (Array.isArray(value)) return [prefix, ...value.flatMap((item, i) => leafPaths(item, [...prefix, i]))];
  if (value !== null && typeof value === "object") return [prefix, ...Object.entries(value).flatMap(([key, item]) => leafPaths(item, [...prefix, key]))];
  return [prefix];
}

/** A copy of `base` with the value at `path` replaced (or removed, for `undefined`). */
function withValue(base: unknown, path: Key[], value: unknown): unknown {
  if (path.length === 0) return value;
  const [head, ...rest] = path;
  const copy = (Array.isArray(base) ? [...base] : { ...(base as object) }) as Record<Key, unknown>;
  const next = withValue(copy[head!], rest, value);
  if (next === undefined && !Array.isArray(copy)) delete copy[head!];
  else copy[head!] = next;
  return copy;
}

interface FuzzBody {
  text: string;
  contentType: string;
  what: string;
}

const json = (value: unknown, what: string): FuzzBody => ({ text: JSON.stringify(value), contentType: "application/json", what });

function bodyArbitrary(op: Operation, base: unknown): fc.Arbitrary<FuzzBody | undefined> {
  if (["GET", "HEAD", "OPTIONS"].includes(op.method)) return fc.constant(undefined);
  const raw: Array<fc.Arbitrary<FuzzBody | undefined>> = [
    fc.constant(undefined),
    fc.jsonValue({ maxDepth: 4 }).map((value) => json(value, "any JSON")),
    fc.array(junkValue, { maxLength: 3 }).map((value) => json(value, "an array instead of an object")),
    fc.string({ unit: "grapheme", maxLength: 60 }).map((text) => ({ text: `{"a":${text}`, contentType: "application/json", what: "not JSON, sent as JSON" })),
    fc.constantFrom("application/x-www-form-urlencoded", "text/plain", "application/xml").map((contentType) => ({ text: "a=1&b=2", contentType, what: "not JSON" })),
    fc.constant({ text: JSON.stringify({ padding: "x".repeat(70_000) }), contentType: "application/json", what: "over the body limit" }),
  ];
  if (base === undefined) return fc.oneof(...raw);
  const paths = leafPaths(base).filter((path) => path.length > 0);
  const mutated: Array<fc.Arbitrary<FuzzBody | undefined>> = [
    fc.tuple(fc.constantFrom(...paths), junkValue).map(([path, value]) => json(withValue(base, path, value), `${path.join(".")} replaced`)),
    fc.constantFrom(...paths).map((path) => json(withValue(base, path, undefined), `${path.join(".")} removed`)),
    fc.tuple(fc.string({ maxLength: 20 }), junkValue).map(([key, value]) => json({ ...(base as object), [key]: value }, "an unknown field added")),
    fc.constant(json(base, "valid")),
  ];
  return fc.oneof({ weight: 3, arbitrary: fc.oneof(...mutated) }, { weight: 2, arbitrary: fc.oneof(...raw) });
}

interface FuzzRequest {
  path: Record<string, string>;
  query: Array<[string, string]>;
  body: FuzzBody | undefined;
}

/** Values a query parameter takes in earnest, so the junk in another one is what the route sees. */
const plausible = ["1", "10", "true", "false", "MLB1234567890", "2026-01-01"];

/**
 * Mostly one bad parameter among absent or plausible ones (else the first bad one would answer for
 * all), sometimes every parameter bad at once, a parameter repeated, or one the route does not know.
 */
function queryArbitrary(names: string[]): fc.Arbitrary<Array<[string, string]>> {
  const own = (name: string) => [...plausible, ...(name in queryIds(user) ? [queryIds(user)[name]!] : [])];
  const quiet = fc.tuple(...names.map((name) => fc.oneof({ weight: 3, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.constantFrom(...own(name)) })));
  const oneBad = fc
    .tuple(quiet, fc.option(fc.constantFrom(...names), { freq: 6 }), junkString)
    .map(([values, bad, junk]) => [
      ...names.flatMap((name, i): Array<[string, string]> => (name === bad || values[i] === undefined ? [] : [[name, values[i]!]])),
      ...(bad === null ? [] : [[bad, junk] as [string, string]]),
    ]);
  const allBad = fc.tuple(...names.map(() => junkString)).map((values) => names.map((name, i): [string, string] => [name, values[i]!]));
  const repeated = fc.tuple(fc.constantFrom(...names), junkString, junkString).map(([name, x, y]): Array<[string, string]> => [
    [name, x],
    [name, y],
  ]);
  const unknown = fc.tuple(fc.string({ maxLength: 20 }), junkString).map((pair) => [pair]);
  return fc.oneof({ weight: 6, arbitrary: oneBad }, { weight: 1, arbitrary: allBad }, { weight: 1, arbitrary: repeated }, { weight: 1, arbitrary: unknown });
}

function requestArbitrary(op: Operation): fc.Arbitrary<FuzzRequest> {
  const ids = pathIds(user);
  const path = Object.fromEntries(
    op.pathParams.map((name) => {
      const real = op.key in destructive ? [] : (ids[`${op.path} ${name}`] ?? []);
      return [name, real.length ? fc.oneof({ weight: 4, arbitrary: junkString }, { weight: 1, arbitrary: fc.constantFrom(...real) }) : junkString];
    }),
  );
  const query = op.queryParams.length ? queryArbitrary(op.queryParams) : fc.constant<Array<[string, string]>>([]);
  return fc.record({ path: fc.record(path), query, body: bodyArbitrary(op, validBodies(user)[op.key]) });
}

// ---------------------------------------------------------------------------------------------

const describeRequest = (op: Operation, url: string, body: FuzzBody | undefined) =>
  `${op.method} ${url.slice(0, 400)}${body ? ` with ${body.what} (${body.contentType}): ${body.text.slice(0, 300)}` : ""}`;

describe("fuzzing every operation in /openapi.json", () => {
  it("lists only existing operations in its allowlists", () => {
    const keys = new Set(operations.map((op) => op.key));
    expect([...Object.keys(destructive), ...Object.keys(sessionEnding)].filter((key) => !keys.has(key))).toEqual([]);
  });

  it("sees a write to the user's rows and a job queued for the user (the checks below can fail)", async () => {
    const { db } = user.seller.services;
    const rows = await RowWatch.start(db, user.seller.user.user.id);
    expect(await rows.changed()).toEqual([]);
    await db.execute(sql`update tiny_accounts set trade_name = 'changed behind the API' where id = ${user.seller.tinyAccountId}`);
    expect(await rows.changed()).toEqual(["tiny_accounts"]);

    const before = new Set((await recentMessages()).map((m) => m.messageId));
    expect(await publishedSince(before, tenantMarks(user))).toEqual([]);
    const queued = await api("/tinyerp/inventory/sync", { method: "POST", token: user.seller.user.accessToken, json: {}, bindings: unlimited });
    expect(queued.status).toBe(202);
    expect(await publishedSince(before, tenantMarks(user))).toHaveLength(1);
  });

  it("refuses an ML notification the jobs could never store (NUL in text, attempts past integer) and queues nothing", async () => {
    const notification = validBodies(user)["POST /webhooks/ml"] as Record<string, unknown>;
    const before = new Set((await recentMessages()).map((m) => m.messageId));
    for (const [field, value] of [
      ["resource", "/orders/1\u0000"],
      ["_id", "a\u0000"],
      ["attempts", 2 ** 31],
    ] as const) {
      const response = await api("/webhooks/ml", { method: "POST", json: { ...notification, _id: crypto.randomUUID(), [field]: value }, ip: freshIp(), bindings: unlimited });
      expect(response.status, field).toBe(400);
      expect(problemFields(response.body)).toEqual([`body.${field}`]);
    }
    expect(await publishedSince(before, tenantMarks(user))).toEqual([]);
  });

  it("never answers 5xx; 4xx are problem+json with field errors for bad input, and write and queue nothing", async () => {
    const rows = await RowWatch.start(user.seller.services.db, user.seller.user.user.id);
    let queuedBefore = new Set<string>();
    const marks = tenantMarks(user);
    const failures: string[] = [];
    const statuses = new Map<string, Map<number, number>>();
    const started = Date.now();

    for (const op of operations) {
      // A failed run of the previous operation may have left writes behind: they are not this one's.
      await rows.accept();
      queuedBefore = new Set((await recentMessages()).map((m) => m.messageId));
      const seen = new Map<number, number>();
      statuses.set(op.key, seen);
      const property = fc.asyncProperty(requestArbitrary(op), async (request) => {
        const search = new URLSearchParams(request.query).toString();
        const url = `${fillPath(op.path, request.path)}${search ? `?${search}` : ""}`;
        // Registration answers alike for new and taken emails, so what it wrote is read from the table.
        const email = op.key === "POST /auth/register" ? sentEmail(request.body) : undefined;
        const registeredBefore = email !== undefined && (await isRegistered(email));
        const token = op.key in sessionEnding ? (await registerUser()).accessToken : op.bearer ? user.seller.user.accessToken : undefined;
        const response: ApiResponse = await api(url, {
          method: op.method,
          ...(token ? { token } : {}),
          ...(request.body ? { body: request.body.text, headers: { "content-type": request.body.contentType } } : {}),
          ip: freshIp(),
          bindings: unlimited,
        });
        seen.set(response.status, (seen.get(response.status) ?? 0) + 1);
        const where = describeRequest(op, url, request.body);
        const answer = `${response.status} ${JSON.stringify(response.body).slice(0, 400)}`;
        if (response.status >= 500) throw new Error(`5xx for ${where}: ${answer}`);
        if (response.status < 400) {
          await rows.accept();
          queuedBefore = new Set((await recentMessages()).map((m) => m.messageId));
          return;
        }
        const problem = notProblemJson(response);
        if (problem) throw new Error(`${problem} for ${where}: ${answer}`);
        const errors = (response.body as { errors?: unknown[] }).errors;
        if ((response.status === 400 || response.status === 422) && !(Array.isArray(errors) && errors.length > 0)) throw new Error(`no field errors for ${where}: ${answer}`);
        const changed = await rows.changed();
        if (changed.length) throw new Error(`a ${response.status} changed ${changed.join(", ")} for ${where}`);
        const queued = await publishedSince(queuedBefore, marks);
        if (queued.length) throw new Error(`a ${response.status} queued ${queued.join(", ")} for ${where}`);
        if (email !== undefined && !registeredBefore && (await isRegistered(email))) throw new Error(`a ${response.status} still registered ${email} for ${where}`);
      });
      try {
        const examples = (knownCases(user)[op.key] ?? []).map((known): [FuzzRequest] => [{ path: {}, query: [], body: undefined, ...known }]);
        await fc.assert(property, { seed: SEED, numRuns: RUNS_PER_OPERATION, endOnFailure: true, includeErrorInReport: true, examples });
      } catch (error) {
        failures.push(`${op.key}: ${(error as Error).message}`);
      }
    }

    console.info(
      JSON.stringify({
        measurement: "API fuzz",
        seed: SEED,
        operations: operations.length,
        runsPerOperation: RUNS_PER_OPERATION,
        ms: Date.now() - started,
        statuses: Object.fromEntries([...statuses].map(([key, seen]) => [key, Object.fromEntries(seen)])),
      }),
    );
    expect(failures).toEqual([]);
  }, 180_000);
});

function sentEmail(body: FuzzBody | undefined): string | undefined {
  try {
    const email = body ? (JSON.parse(body.text) as { email?: unknown } | null)?.email : undefined;
    return typeof email === "string" ? email.trim().toLowerCase() : undefined;
  } catch {
    return undefined;
  }
}

async function isRegistered(email: string): Promise<boolean> {
  return (await user.seller.services.db.execute(sql`select 1 from users where email = ${email}`)).rows.length > 0;
}
