import type { Context } from "hono";

/** Cloudflare sets CF-Connecting-IP on every request; it cannot be forged by the client at the edge. */
export function clientInfo(c: Context) {
  return {
    ip: c.req.header("cf-connecting-ip") ?? "unknown",
    userAgent: c.req.header("user-agent") ?? null,
  };
}
