export type JsonReply = string | number | null | JsonReply[];

/**
 * Converts a raw ioredis reply (Buffers from `callBuffer`) to what Upstash
 * sends. With `Upstash-Encoding: base64` (the @upstash/redis default) every
 * string, at any depth, is base64 except the literal status "OK", which the
 * client special-cases; it decodes everything else, so a plain "test" would be
 * silently mangled into garbage.
 */
export function encodeReply(value: unknown, base64: boolean): JsonReply {
  if (value === null || value === undefined) return null;
  if (typeof value === "number") return value;
  if (typeof value === "bigint") return Number(value);
  if (Array.isArray(value)) return value.map((v) => encodeReply(v, base64));
  if (value instanceof Error) return encodeString(Buffer.from(value.message), base64);
  if (Buffer.isBuffer(value)) return encodeString(value, base64);
  return encodeString(Buffer.from(String(value)), base64);
}

function encodeString(bytes: Buffer, base64: boolean): string {
  const text = bytes.toString("utf8");
  return !base64 || text === "OK" ? text : bytes.toString("base64");
}
