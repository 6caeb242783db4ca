import { beforeAll, describe, expect, it } from "vitest";
import { uuidv7 } from "#core/ids";
import { api, freshIp, type ApiResponse } from "../support/api";
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
 * Tenant isolation of every operation the Worker publishes in /openapi.json. Two users, A and B,
 * each own one of every resource a route takes an id of; B replays every operation with A's ids
 * (path, query and body) and must see exactly what an id that does not exist gives: 404. A, with
 * the same ids, must not get 404 — so each id is real and the check can fail.
 */

/** The path parameter is itself the credential (Tiny signs nothing): whoever holds the URL is its account. */
const capabilityOperations: Record<string, string> = {
  "POST /webhooks/tinyerp/{secret}": "the secret in the URL is the credential",
  "GET /webhooks/tinyerp/{secret}": "the secret in the URL is the credential",
  "OPTIONS /webhooks/tinyerp/{secret}": "the secret in the URL is the credential",
};

/**
 * Public operations whose body names a seller: there is no caller to compare with. A forged ML
 * notification is refused by the processor's ownership check (issue 16 §1, jobs/test/ml-webhook.test.ts).
 */
const unauthenticatedOperations: Record<string, string> = {
  "POST /webhooks/ml": "ML signs nothing; the processor stores a resource only for the seller ML says owns it",
};

/**
 * Where B's answer with A's ids is rightly not 404 — and still the very answer an id that does not
 * exist gets, which the test checks as for every other operation.
 */
const notFoundExceptions: Record<string, { status: number; reason: string }> = {
  "PUT /tinyerp/product-links": { status: 400, reason: "a batch: each link naming an account or listing that is not the caller's is a field error in errors" },
  "GET /webhooks/events": { status: 200, reason: "a filter naming another user's account matches nothing (an empty page)" },
};

let operations: Operation[];
let a: Tenant;
let b: Tenant;

beforeAll(async () => {
  operations = await loadOperations();
  a = await tenant();
  b = await tenant();
}, 120_000);

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** An id of the same form that names nothing. */
function ghostOf(value: string): string {
  if (uuidPattern.test(value)) return uuidv7();
  const digits = (n: number) => Array.from({ length: n }, (_, i) => (i === 0 ? 1 + Math.floor(Math.random() * 9) : Math.floor(Math.random() * 10))).join("");
  if (/^\d+$/.test(value)) return digits(value.length);
  const prefixed = /^([A-Z]{3})(\d+)$/.exec(value);
  if (prefixed) return `${prefixed[1]}${digits(prefixed[2]!.length)}`;
  return btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))))
    .replaceAll("+", "-")
    .replaceAll("/", "_")
    .replaceAll("=", "");
}

interface Call {
  path: string;
  query: Record<string, string>;
  body: unknown;
  /** The owner's ids this call carries (for the ghost twin and for reports). */
  ids: string[];
}

/** The call an operation makes with `owner`'s ids (variant: which form of a multi-form id). */
function callWith(op: Operation, owner: Tenant, variant: number): Call {
  const ids: string[] = [];
  const byPath = pathIds(owner);
  const values: Record<string, string> = {};
  for (const name of op.pathParams) {
    const forms = byPath[`${op.path} ${name}`]!;
    values[name] = forms[Math.min(variant, forms.length - 1)]!;
    ids.push(values[name]);
  }
  const query: Record<string, string> = {};
  for (const [name, id] of Object.entries(queryIds(owner))) {
    if (!op.queryParams.includes(name)) continue;
    query[name] = id;
    ids.push(id);
  }
  const body = validBodies(owner)[op.key];
  const marks = [...new Set([...tenantMarks(owner), owner.listing.mlItemId, String(owner.order.mlOrderId), String(owner.order.buyerId)])];
  if (body !== undefined) ids.push(...marks.filter((mark) => JSON.stringify(body).includes(mark)));
  return { path: fillPath(op.path, values), query, body, ids: [...new Set(ids)] };
}

function ghostCall(call: Call): Call {
  const ghosts = new Map(call.ids.map((id) => [id, ghostOf(id)]));
  const swap = (text: string) => [...ghosts].reduce((out, [id, ghost]) => out.replaceAll(id, ghost), text);
  return {
    path: swap(call.path),
    query: Object.fromEntries(Object.entries(call.query).map(([k, v]) => [k, swap(v)])),
    body: call.body === undefined ? undefined : JSON.parse(swap(JSON.stringify(call.body))),
    ids: [...ghosts.values()],
  };
}

function send(op: Operation, call: Call, token?: string): Promise<ApiResponse> {
  const search = new URLSearchParams(call.query).toString();
  return api(`${call.path}${search ? `?${search}` : ""}`, {
    method: op.method,
    ...(token ? { token } : {}),
    ...(call.body === undefined ? {} : { json: call.body }),
    ip: freshIp(),
    bindings: unlimited,
  });
}

const variants = (op: Operation) => Math.max(1, ...op.pathParams.map((name) => pathIds(a)[`${op.path} ${name}`]?.length ?? 1));

/** Operations that carry an id of the caller's own: a path parameter, an id query parameter, or ids in the body. */
const takesIds = (op: Operation) => op.pathParams.length > 0 || callWith(op, a, 0).ids.length > 0;

const show = (response: ApiResponse) => `${response.status} ${JSON.stringify(response.body).slice(0, 300)}`;
/** The answer without what differs between any two requests (request id) or names the id asked for. */
const sameAnswer = (response: ApiResponse, ids: string[]) => {
  const { requestId: _, ...body } = response.body as Record<string, unknown>;
  return `${response.status} ${ids.reduce((text, id) => text.replaceAll(id, "<id>"), JSON.stringify(body))}`;
};

describe("authentication on every operation that declares bearer security", () => {
  it("answers 401 problem+json without a token and with a garbage token", async () => {
    const bearer = operations.filter((op) => op.bearer);
    expect(bearer.length).toBeGreaterThan(40);
    const garbage = [
      "garbage",
      "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiJ4In0.",
      // A's real token with its signature changed.
      `${a.seller.user.accessToken.slice(0, -4)}AAAA`,
    ];
    const failures: string[] = [];
    for (const op of bearer) {
      const call = op.pathParams.length || op.hasBody ? callWith(op, a, 0) : { path: op.path, query: {}, body: undefined, ids: [] };
      for (const token of [undefined, ...garbage]) {
        const response = await send(op, call, token);
        const problem = notProblemJson(response);
        if (response.status !== 401 || problem) failures.push(`${op.key} (${token ? "garbage token" : "no token"}): ${show(response)}${problem ? ` — ${problem}` : ""}`);
        else if (!response.headers.get("www-authenticate")?.startsWith("Bearer")) failures.push(`${op.key}: 401 without a Bearer challenge`);
      }
    }
    expect(failures).toEqual([]);
  });
});

describe("IDOR on every operation that takes an id", () => {
  it("has a real id for every path parameter of every operation", () => {
    const ids = pathIds(a);
    const missing = operations.flatMap((op) => op.pathParams.filter((name) => !ids[`${op.path} ${name}`]?.length).map((name) => `${op.key} {${name}}`));
    expect(missing, "add the parameter's real id to pathIds() in worker/test/security/support.ts").toEqual([]);
    const bodies = validBodies(a);
    const noBody = operations.filter((op) => op.hasBody && !(op.key in bodies)).map((op) => op.key);
    expect(noBody, "add a valid body to validBodies() in worker/test/security/support.ts").toEqual([]);
    const listed = [...Object.keys(capabilityOperations), ...Object.keys(unauthenticatedOperations), ...Object.keys(notFoundExceptions), ...Object.keys(bodies)];
    const stale = [
      ...Object.keys(ids).filter((key) => !operations.some((op) => op.pathParams.some((name) => `${op.path} ${name}` === key))),
      ...listed.filter((key) => !operations.some((op) => op.key === key)),
    ];
    expect(stale, "entries naming operations that no longer exist").toEqual([]);
  });

  it("B gets 404 problem+json with A's ids, the same answer as for ids that do not exist, and nothing of A's changes", async () => {
    const rowsOfA = await RowWatch.start(a.seller.services.db, a.seller.user.user.id);
    const failures: string[] = [];
    let tried = 0;
    for (const op of operations.filter((o) => takesIds(o))) {
      if (op.key in unauthenticatedOperations) continue;
      for (let variant = 0; variant < variants(op); variant++) {
        const foreign = callWith(op, a, variant);
        const ghost = ghostCall(foreign);
        if (op.key in capabilityOperations) {
          const unknown = await send(op, ghost);
          if (unknown.status !== 404 || notProblemJson(unknown)) failures.push(`${op.key} with an unknown secret: ${show(unknown)}`);
          continue;
        }
        tried++;
        const queued = new Set((await recentMessages()).map((m) => m.messageId));
        const asB = await send(op, foreign, b.seller.user.accessToken);
        const changed = await rowsOfA.changed();
        const leaked = await publishedSince(queued, tenantMarks(a));
        const asGhost = await send(op, ghost, b.seller.user.accessToken);
        const where = `${op.key} [${foreign.ids.join(", ")}]`;
        const expected = notFoundExceptions[op.key]?.status ?? 404;
        if (asB.status !== expected || (expected >= 400 && notProblemJson(asB))) failures.push(`${where}: B got ${show(asB)}`);
        if (changed.length) failures.push(`${where}: B's call changed A's ${changed.join(", ")}`);
        if (leaked.length) failures.push(`${where}: B's call queued work for A: ${leaked.join(", ")}`);
        if (sameAnswer(asB, foreign.ids) !== sameAnswer(asGhost, ghost.ids)) {
          failures.push(`${where}: answers differently for A's id (${show(asB)}) than for a missing one (${show(asGhost)})`);
        }
      }
    }
    expect(tried).toBeGreaterThan(30);
    expect(failures).toEqual([]);
  });

  it("B's lists never show A's records", async () => {
    // Not the ML order id: both users' Tiny accounts are the sandbox's one company, whose live data (orders,
    // receivables) rightly names every order pushed to it.
    const marks = [
      a.seller.user.user.id,
      a.seller.mlAccountId,
      a.seller.tinyAccountId,
      a.listing.id,
      a.listing.mlItemId,
      a.order.id,
      a.orderPushId,
      a.mlSyncRunId,
      a.productSyncRunId,
      a.failedEventId,
    ];
    // Filters B can point at A's records; each must still search only B's own.
    const probes: Record<string, string> = { mlItemId: a.listing.mlItemId, item: a.listing.mlItemId, buyer: String(a.order.buyerId), cursor: a.failedEventId, q: "Camiseta" };
    const failures: string[] = [];
    let calls = 0;
    for (const op of operations.filter((o) => o.bearer && o.method === "GET")) {
      const own = callWith(op, b, 0);
      const probed = [own, ...op.queryParams.filter((name) => name in probes).map((name) => ({ ...own, query: { ...own.query, [name]: probes[name]! } }))];
      for (const call of probed) {
        const response = await send(op, call, b.seller.user.accessToken);
        calls++;
        const text = JSON.stringify(response.body);
        // A value B sent may come back in an error's detail; anything else of A's is a leak.
        const seen = marks.filter((mark) => text.includes(mark) && !Object.values(call.query).includes(mark));
        if (seen.length) failures.push(`${op.key}?${new URLSearchParams(call.query).toString()}: B sees ${seen.join(", ")}`);
      }
    }
    expect(calls).toBeGreaterThan(30);
    expect(failures).toEqual([]);
  });

  it("A, with the same ids, gets its resources (no 404, no 5xx)", async () => {
    // Reads first, then changes, then the deletions that end the account's resources, the user last.
    const rank = (op: Operation) =>
      op.key in capabilityOperations ? 0 : op.method === "GET" ? 1 : op.method !== "DELETE" ? 2 : op.path === "/users/{id}" ? 5 : op.pathParams.length && /accounts\/\{id\}$/.test(op.path) ? 4 : 3;
    const ordered = operations.filter((o) => takesIds(o)).sort((x, y) => rank(x) - rank(y));
    expect(ordered.length).toBeGreaterThan(30);
    const failures: string[] = [];
    for (const op of ordered) {
      for (let variant = 0; variant < variants(op); variant++) {
        const own = callWith(op, a, variant);
        const response = await send(op, own, a.seller.user.accessToken);
        if (response.status === 404 || response.status >= 500) failures.push(`${op.key} [${own.ids.join(", ")}]: ${show(response)}`);
      }
    }
    expect(failures).toEqual([]);
  });
});
