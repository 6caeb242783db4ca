import type { IncomingMessage, ServerResponse } from "node:http";
import { HttpError, headerRecord, parseJson, readBody, requestToken, requestUrl, sendJson, tokensEqual } from "../lib/http";
import type { QStashEngine } from "./engine";
import { matchesDlq, matchesEvent, matchesMessage, pageOf, paginate } from "./filters";
import { dlqPayload, messagePayload } from "./payload";
import { parsePublish } from "./publish-headers";
import type { MessageSpec, SigningKeys } from "./types";

export interface RouteContext {
  engine: QStashEngine;
  token: string;
  signingKeys: SigningKeys;
  defaultRetries: number;
  defaultTimeoutMs: number;
  maxBodyBytes: number;
}

const PUBLISH_PREFIX = "/v2/publish/";

export function qstashHandler(ctx: RouteContext) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = requestUrl(req);
    if (!tokensEqual(requestToken(req, url, "qstash_token"), ctx.token)) {
      throw new HttpError(401, "Unauthorized: missing or invalid QStash token");
    }
    const method = req.method ?? "GET";
    const path = url.pathname.replace(/\/+$/, "");
    const rawUrl = req.url ?? "";

    if (method === "POST" && rawUrl.startsWith(PUBLISH_PREFIX)) {
      return sendJson(res, 200, ctx.engine.publish(await publishSpec(ctx, req, rawUrl)));
    }
    if (method === "POST" && path === "/v2/batch") return sendJson(res, 200, await batch(ctx, req));
    if (method === "GET" && path === "/v2/keys") return sendJson(res, 200, ctx.signingKeys);
    // Local only, no QStash counterpart: ends QSTASH_LOCAL_HOLD without a restart.
    if (method === "POST" && path === "/v2/local/release") return sendJson(res, 200, { released: ctx.engine.release() });
    if (method === "GET" && path === "/v2/events") return sendJson(res, 200, events(ctx, url.searchParams));
    if (path === "/v2/messages") return bulkCancel(ctx, method, url.searchParams, res);
    if (path.startsWith("/v2/messages/")) return messageById(ctx, method, path.slice(13), res);
    if (path === "/v2/dlq") return dlqCollection(ctx, method, url.searchParams, res);
    if (method === "POST" && path === "/v2/dlq/retry") return sendJson(res, 200, dlqRetry(ctx, url.searchParams));
    if (path.startsWith("/v2/dlq/")) return dlqById(ctx, method, path.slice(8), res);
    throw new HttpError(404, `not implemented by the local QStash: ${method} ${url.pathname}`);
  };
}

async function publishSpec(ctx: RouteContext, req: IncomingMessage, rawUrl: string): Promise<MessageSpec> {
  return parsePublish({
    destination: destinationFrom(rawUrl.slice(PUBLISH_PREFIX.length)),
    headers: headerRecord(req),
    body: await readBody(req, ctx.maxBodyBytes),
    now: Date.now(),
    defaultRetries: ctx.defaultRetries,
    defaultTimeoutMs: ctx.defaultTimeoutMs,
    callerIp: req.socket.remoteAddress,
  });
}

/**
 * The destination is the raw rest of the path, query included, because the
 * signature's `sub` must equal it byte for byte. Only our own auth parameter is removed.
 */
function destinationFrom(raw: string): string {
  const q = raw.indexOf("?");
  if (q === -1) return raw;
  const params = new URLSearchParams(raw.slice(q + 1));
  if (!params.has("qstash_token")) return raw;
  params.delete("qstash_token");
  const rest = params.toString();
  return raw.slice(0, q) + (rest ? `?${rest}` : "");
}

async function batch(ctx: RouteContext, req: IncomingMessage) {
  const items = parseJson(await readBody(req, ctx.maxBodyBytes));
  if (!Array.isArray(items)) throw new HttpError(400, "batch body must be a JSON array");
  const now = Date.now();
  // Validate everything first so a bad entry does not leave half a batch published.
  const specs = items.map((item: unknown, i) => {
    if (typeof item !== "object" || item === null) throw new HttpError(400, `batch[${i}] must be an object`);
    const { destination, headers, body, queue } = item as Record<string, unknown>;
    if (typeof destination !== "string") throw new HttpError(400, `batch[${i}].destination must be a string`);
    if (queue !== undefined) throw new HttpError(400, `batch[${i}]: queues are not implemented by the local QStash`);
    if (body !== undefined && typeof body !== "string") throw new HttpError(400, `batch[${i}].body must be a string`);
    return parsePublish({
      destination,
      headers: lowerCaseStrings(headers, i),
      body: Buffer.from(body ?? "", "utf8"),
      now,
      defaultRetries: ctx.defaultRetries,
      defaultTimeoutMs: ctx.defaultTimeoutMs,
      callerIp: req.socket.remoteAddress,
    });
  });
  return specs.map((spec) => ctx.engine.publish(spec));
}

function lowerCaseStrings(headers: unknown, i: number): Record<string, string> {
  if (headers === undefined) return {};
  if (typeof headers !== "object" || headers === null) {
    throw new HttpError(400, `batch[${i}].headers must be an object`);
  }
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), String(v)]));
}

function events(ctx: RouteContext, q: URLSearchParams) {
  const matching = ctx.engine
    .events()
    .reverse()
    .filter((e) => matchesEvent(e, q));
  const { items, cursor } = paginate(matching, pageOf(q));
  return { events: items, cursor };
}

function bulkCancel(ctx: RouteContext, method: string, q: URLSearchParams, res: ServerResponse) {
  if (method !== "DELETE") throw new HttpError(404, `not implemented by the local QStash: ${method} /v2/messages`);
  const ids = ctx.engine
    .pendingMessages()
    .filter((m) => matchesMessage(m, q))
    .map((m) => m.messageId);
  sendJson(res, 200, { cancelled: ids.filter((id) => ctx.engine.cancel(id)).length });
}

function messageById(ctx: RouteContext, method: string, id: string, res: ServerResponse) {
  const msg = ctx.engine.message(id);
  if (!msg) throw new HttpError(404, `message ${id} not found (delivered, dead-lettered, cancelled or unknown)`);
  if (method === "GET") return sendJson(res, 200, messagePayload(msg));
  if (method === "DELETE") {
    ctx.engine.cancel(id);
    return sendJson(res, 202, { cancelled: 1 });
  }
  throw new HttpError(404, `not implemented by the local QStash: ${method} /v2/messages/${id}`);
}

function dlqCollection(ctx: RouteContext, method: string, q: URLSearchParams, res: ServerResponse) {
  const page = pageOf(q);
  const matching = ctx.engine.dlqEntries().filter((e) => matchesDlq(e, q));
  if (method === "GET") {
    const { items, cursor } = paginate(matching, page);
    return sendJson(res, 200, { messages: items.map(dlqPayload), cursor });
  }
  if (method === "DELETE") {
    // Processed entries disappear, so each call takes the first `count` that still match.
    const batchOf = q.has("dlqIds") ? matching : matching.slice(0, page.count);
    for (const entry of batchOf) ctx.engine.deleteDlq(entry.dlqId);
    const more = matching.length > batchOf.length;
    return sendJson(res, 200, { deleted: batchOf.length, cursor: more ? "next" : undefined });
  }
  throw new HttpError(404, `not implemented by the local QStash: ${method} /v2/dlq`);
}

function dlqRetry(ctx: RouteContext, q: URLSearchParams) {
  const matching = ctx.engine.dlqEntries().filter((e) => matchesDlq(e, q));
  const batchOf = q.has("dlqIds") ? matching : matching.slice(0, pageOf(q).count);
  const responses = ctx.engine.retryDlq(batchOf.map((e) => e.dlqId));
  return { responses, cursor: matching.length > batchOf.length ? "next" : undefined };
}

function dlqById(ctx: RouteContext, method: string, id: string, res: ServerResponse) {
  const entry = ctx.engine.dlqEntry(id);
  if (!entry) throw new HttpError(404, `dlq message ${id} not found`);
  if (method === "GET") return sendJson(res, 200, dlqPayload(entry));
  if (method === "DELETE") {
    ctx.engine.deleteDlq(id);
    return sendJson(res, 200, { deleted: 1 });
  }
  throw new HttpError(404, `not implemented by the local QStash: ${method} /v2/dlq/${id}`);
}
