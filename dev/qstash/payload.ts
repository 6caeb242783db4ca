import { isUtf8 } from "node:buffer";
import { canonicalHeaderName } from "./delivery";
import type { AttemptResult, DlqRecord, MessageRecord } from "./types";

/** A message as the QStash REST API shows it (GET /v2/messages/:id, DLQ entries). */
export function messagePayload(msg: MessageRecord): Record<string, unknown> {
  return {
    messageId: msg.messageId,
    url: msg.url,
    method: msg.method,
    header: multiValue(msg.headers),
    ...bodyFields(msg.body, "body"),
    maxRetries: msg.maxRetries,
    retryDelayExpression: msg.retryDelay?.source,
    notBefore: msg.notBefore,
    createdAt: msg.createdAt,
    callback: msg.callback?.url,
    failureCallback: msg.failureCallback?.url,
    callerIp: msg.callerIp,
    labels: msg.labels.length ? msg.labels : undefined,
    label: msg.labels[0],
  };
}

export function dlqPayload(entry: DlqRecord): Record<string, unknown> {
  return {
    ...messagePayload(entry.message),
    dlqId: entry.dlqId,
    responseStatus: entry.last.status || undefined,
    responseHeader: entry.last.headers,
    ...bodyFields(entry.last.body, "responseBody"),
    error: entry.last.error,
  };
}

/** The JSON body QStash posts to Upstash-Callback / Upstash-Failure-Callback URLs. */
export function callbackBody(msg: MessageRecord, result: AttemptResult, dlqId?: string): Record<string, unknown> {
  return {
    status: result.status,
    header: result.headers,
    body: result.body.toString("base64"),
    retried: msg.retried,
    maxRetries: msg.maxRetries,
    sourceMessageId: msg.messageId,
    url: msg.url,
    method: msg.method,
    sourceHeader: multiValue(msg.headers),
    sourceBody: msg.body.toString("base64"),
    notBefore: msg.notBefore,
    createdAt: msg.createdAt,
    callerIp: msg.callerIp,
    error: result.error,
    dlqId,
  };
}

function multiValue(headers: Record<string, string>): Record<string, string[]> {
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [canonicalHeaderName(k), [v]]));
}

/** QStash returns text bodies as-is and anything that is not UTF-8 as `<name>Base64`. */
function bodyFields(body: Buffer, name: string): Record<string, string> {
  if (body.length === 0) return {};
  return isUtf8(body) ? { [name]: body.toString("utf8") } : { [`${name}Base64`]: body.toString("base64") };
}
