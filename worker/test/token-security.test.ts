import { env } from "cloudflare:test";
import { SignJWT, UnsecuredJWT } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import { api, registerUser, type Session } from "./support/api";

const bindings = env as unknown as Record<string, string>;
const secret = new TextEncoder().encode(bindings.JWT_SECRET);

let session: Session;
beforeAll(async () => {
  session = await registerUser();
});

function protectedRoutes() {
  const id = session.user.id;
  return [
    { method: "GET", path: "/auth/me" },
    { method: "POST", path: "/auth/logout" },
    { method: "GET", path: `/users/${id}` },
    { method: "PUT", path: `/users/${id}`, json: { name: "Mallory" } },
    { method: "DELETE", path: `/users/${id}` },
  ];
}

async function claimsOf(token: string) {
  return JSON.parse(atob(token.split(".")[1]!.replaceAll("-", "+").replaceAll("_", "/"))) as { sub: string; sid: string };
}

async function signed(claims: Record<string, unknown>, options: { exp: number; iat?: number; key?: Uint8Array; iss?: string; aud?: string }) {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: "HS256" })
    .setIssuer(options.iss ?? bindings.JWT_ISSUER!)
    .setAudience(options.aud ?? bindings.JWT_AUDIENCE!)
    .setIssuedAt(options.iat ?? Math.floor(Date.now() / 1000) - 10)
    .setExpirationTime(options.exp)
    .sign(options.key ?? secret);
}

const badTokens: Record<string, () => Promise<string | undefined>> = {
  missing: async () => undefined,
  garbage: async () => "not.a.jwt",
  expired: async () => {
    const { sub, sid } = await claimsOf(session.accessToken);
    return signed({ sub, sid }, { iat: Math.floor(Date.now() / 1000) - 3600, exp: Math.floor(Date.now() / 1000) - 60 });
  },
  "forged (other key)": async () => {
    const { sub, sid } = await claimsOf(session.accessToken);
    return signed({ sub, sid }, { exp: Math.floor(Date.now() / 1000) + 600, key: new TextEncoder().encode("x".repeat(48)) });
  },
  "alg none": async () => {
    const { sub, sid } = await claimsOf(session.accessToken);
    return new UnsecuredJWT({ sub, sid }).setIssuer(bindings.JWT_ISSUER!).setAudience(bindings.JWT_AUDIENCE!).setIssuedAt().setExpirationTime("10m").encode();
  },
  "wrong audience": async () => {
    const { sub, sid } = await claimsOf(session.accessToken);
    return signed({ sub, sid }, { exp: Math.floor(Date.now() / 1000) + 600, aud: "someone-else" });
  },
  "tampered payload": async () => {
    const [header, , signature] = session.accessToken.split(".");
    const other = await registerUser();
    const [, otherPayload] = other.accessToken.split(".");
    return `${header}.${otherPayload}.${signature}`;
  },
};

describe("every protected route rejects bad access tokens", () => {
  for (const [kind, make] of Object.entries(badTokens)) {
    it(`rejects a ${kind} token with 401 problem+json`, async () => {
      const token = await make();
      for (const route of protectedRoutes()) {
        const response = await api(route.path, { method: route.method, ...(token ? { token } : {}), ...(route.json ? { json: route.json } : {}) });
        expect(response.status, `${route.method} ${route.path}`).toBe(401);
        expect(response.headers.get("content-type")).toBe("application/problem+json");
        expect(response.headers.get("www-authenticate")).toContain("Bearer");
      }
      // Nothing was changed by any of those calls.
      const me = await api<{ name: string | null }>("/auth/me", { token: session.accessToken });
      expect(me.status).toBe(200);
      expect(me.body.name).toBeNull();
    });
  }

  it("says when a token has expired", async () => {
    const token = await badTokens.expired!();
    const response = await api<{ detail: string }>("/auth/me", { token: token! });
    expect(response.body.detail).toMatch(/expired/);
  });
});
