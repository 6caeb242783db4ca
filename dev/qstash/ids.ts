import { randomBytes } from "node:crypto";

/** Same shape as QStash ids (`msg_…`, `dlq_…`); only uniqueness matters to clients. */
export function newId(prefix: "msg" | "dlq"): string {
  return `${prefix}_${randomBytes(15).toString("base64url")}`;
}
