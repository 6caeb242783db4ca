import { createHash, timingSafeEqual } from "node:crypto";
import type { MiddlewareHandler } from "hono";
import { AppError } from "#core/errors";
import { problemResponse } from "#core/http/problem";
import type { AppEnv } from "./types";

// Comparing fixed-length digests keeps the comparison constant-time whatever the input length.
const digest = (value: string) => createHash("sha256").update(value).digest();
const same = (a: string, b: string) => timingSafeEqual(digest(a), digest(b));

function credentials(header: string | undefined): { username: string; password: string } | undefined {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? "");
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon < 0) return undefined;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** HTTP Basic auth answering in problem+json, with the challenge header so browsers prompt. */
export function basicAuth(expected: { username: string; password: string }, realm: string): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const given = credentials(c.req.header("authorization"));
    // Both comparisons always run, so timing does not reveal which part was wrong.
    const userOk = same(given?.username ?? "", expected.username);
    const passwordOk = same(given?.password ?? "", expected.password);
    if (!given || !userOk || !passwordOk) {
      return problemResponse(c, new AppError("unauthorized", "Valid admin credentials are required."), {
        "www-authenticate": `Basic realm="${realm}", charset="UTF-8"`,
      });
    }
    await next();
  };
}

/** A bearer token (what Prometheus sends with `authorization.credentials_file`), answering in problem+json. */
export function bearerAuth(expected: string, realm: string): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const given = /^Bearer\s+(\S+)\s*$/i.exec(c.req.header("authorization") ?? "")?.[1];
    if (!given || !same(given, expected)) {
      return problemResponse(c, new AppError("unauthorized", "A valid metrics token is required."), {
        "www-authenticate": `Bearer realm="${realm}"`,
      });
    }
    await next();
  };
}
