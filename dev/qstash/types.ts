import type { Expr } from "./expr";

export type HttpMethod = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

export interface RetryDelay {
  /** The header text, echoed back as `retryDelayExpression`. */
  source: string;
  expr: Expr;
}

/** How to deliver one callback (or failure callback) message. */
export interface CallbackSpec {
  url: string;
  method: HttpMethod;
  headers: Record<string, string>;
  /** Undefined means "inherit from the source message", as QStash does. */
  maxRetries?: number;
  retryDelay?: RetryDelay;
  timeoutMs?: number;
  delayMs: number;
}

/** Everything needed to (re)deliver a message; the result of parsing publish headers. */
export interface MessageSpec {
  url: string;
  method: HttpMethod;
  /** Kept as bytes so delivery is byte-for-byte and the signed hash matches. */
  body: Buffer;
  /** Lower-cased names; includes content-type when the publisher sent one. */
  headers: Record<string, string>;
  /** Unix ms; delivery does not start before this. */
  notBefore: number;
  maxRetries: number;
  retryDelay?: RetryDelay;
  timeoutMs: number;
  callback?: CallbackSpec;
  failureCallback?: CallbackSpec;
  labels: string[];
  dedupKey?: string;
  callerIp?: string;
}

export type MessageState = "CREATED" | "ACTIVE" | "DELIVERED" | "ERROR" | "RETRY" | "FAILED" | "CANCELED";

export interface MessageRecord extends MessageSpec {
  messageId: string;
  createdAt: number;
  /** Upstash-Retried of the next (or current) attempt. */
  retried: number;
  state: MessageState;
}

export interface AttemptResult {
  /** 0 when no HTTP response arrived (network error or timeout). */
  status: number;
  headers: Record<string, string[]>;
  body: Buffer;
  error?: string;
}

export interface DlqRecord {
  dlqId: string;
  message: MessageRecord;
  movedAt: number;
  last: AttemptResult;
}

export interface QStashEvent {
  time: number;
  state: MessageState;
  messageId: string;
  url: string;
  retried: number;
  responseStatus?: number;
  error?: string;
  nextDeliveryTime?: number;
  dlqId?: string;
}

export interface QStashStats {
  published: number;
  deduplicated: number;
  attempts: number;
  delivered: number;
  failed: number;
  cancelled: number;
  /** Messages waiting for a (re)delivery or currently in flight, held ones included. */
  pending: number;
  /** Messages accepted while deliveries are held, not yet released. */
  held: number;
  dlq: number;
}

export interface SigningKeys {
  current: string;
  next: string;
}
