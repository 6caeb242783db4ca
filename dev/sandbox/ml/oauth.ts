import { createHash } from "node:crypto";
import type { Context, Hono } from "hono";
import type { MlContext } from "./context";
import { INVALID_GRANT_DESCRIPTION, oauthError } from "./errors";
import { DEMO_SELLER_ID } from "./state";
import type { UserRec } from "./types";

// OAuth authorization-code flow as ML runs it: TG- codes (single use, 10 min), optional PKCE,
// APP_USR- access tokens, rotating single-use TG- refresh tokens where only the newest works.

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

function page(title: string, body: string): string {
  return `<!doctype html><html lang="pt-BR"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem}a.btn{display:inline-block;margin:.25rem 0;padding:.5rem 1rem;border:1px solid #3483fa;border-radius:6px;text-decoration:none}</style>
</head><body><p><strong>MercadoLibre sandbox</strong> — not the real site.</p>${body}</body></html>`;
}

function errorPage(c: Context, status: 400 | 403, reason: string, detail: string): Response {
  return c.html(
    page("Erro", `<h1>Lo sentimos, la aplicación no puede conectarse a tu cuenta</h1><p id="error" data-error="${escapeHtml(reason)}">${escapeHtml(reason)}</p><p>${escapeHtml(detail)}</p>`),
    status,
  );
}

function withParams(base: string, params: Record<string, string | undefined>): string {
  const url = new URL(base);
  for (const [k, v] of Object.entries(params)) if (v !== undefined) url.searchParams.set(k, v);
  return url.toString();
}

function findUser(ctx: MlContext, ref: string | undefined): UserRec | undefined {
  const users = ctx.state.users;
  if (!ref) return users.get(DEMO_SELLER_ID);
  const asNumber = Number(ref);
  if (Number.isInteger(asNumber)) return users.get(asNumber);
  for (const u of users.values()) if (u.nickname.toLowerCase() === ref.toLowerCase()) return u;
  return undefined;
}

function pad2(n: number): string {
  return String(n).padStart(2, "0");
}

export function issueTokens(ctx: MlContext, userId: number, clientId: string, grantId: string) {
  const now = ctx.clock.now();
  const r = ctx.state.rng;
  const d = new Date(now);
  const stamp = `${pad2(d.getUTCMonth() + 1)}${pad2(d.getUTCDate())}${pad2(d.getUTCHours())}`;
  const access = `APP_USR-${clientId}-${stamp}-${r.hex(32)}-${userId}`;
  ctx.state.accessTokens.set(access, { token: access, userId, clientId, expires: now + ctx.config.accessTokenTtlSeconds * 1000, grantId });
  let refresh: string | undefined;
  if (ctx.config.offlineAccess) {
    refresh = `TG-${r.hex(24)}-${userId}`;
    ctx.state.refreshTokens.set(refresh, { token: refresh, userId, clientId, expires: now + ctx.config.refreshTokenTtlSeconds * 1000, grantId });
  }
  ctx.state.onChange();
  return {
    access_token: access,
    token_type: "Bearer",
    expires_in: ctx.config.accessTokenTtlSeconds,
    scope: ctx.config.offlineAccess ? "offline_access read write" : "read write",
    user_id: userId,
    ...(refresh ? { refresh_token: refresh } : {}),
  };
}

/** Invalidate every token of a user (password change, revoked grant). */
export function revokeUser(ctx: MlContext, userId: number): number {
  let n = 0;
  for (const map of [ctx.state.accessTokens, ctx.state.refreshTokens]) {
    for (const [k, t] of map) {
      if (t.userId !== userId) continue;
      map.delete(k);
      n++;
    }
  }
  ctx.state.onChange();
  return n;
}

function verifyPkce(challenge: string, method: "S256" | "plain", verifier: string): boolean {
  if (method === "plain") return verifier === challenge;
  return createHash("sha256").update(verifier).digest("base64url") === challenge;
}

async function readParams(c: Context): Promise<Record<string, string>> {
  const out: Record<string, string> = { ...c.req.query() };
  const type = c.req.header("content-type") ?? "";
  if (type.includes("application/json")) {
    try {
      const body = (await c.req.json()) as Record<string, unknown>;
      for (const [k, v] of Object.entries(body)) if (v !== undefined && v !== null) out[k] = String(v);
    } catch {
      // An unparsable body just means no body params, as with an empty form.
    }
  } else if (type.includes("application/x-www-form-urlencoded") || type.includes("multipart/form-data")) {
    const body = await c.req.parseBody();
    for (const [k, v] of Object.entries(body)) if (typeof v === "string") out[k] = v;
  }
  return out;
}

export function registerOAuthRoutes(app: Hono, ctx: MlContext): void {
  app.get("/authorization", (c) => {
    const q = c.req.query();
    if (q.client_id !== ctx.config.appId) return errorPage(c, 400, "invalid_client", "Unknown client_id.");
    const redirectUri = q.redirect_uri;
    if (!redirectUri || !URL.canParse(redirectUri)) return errorPage(c, 400, "invalid_request", "redirect_uri is missing or not a URL.");
    if (ctx.config.redirectUris && !ctx.config.redirectUris.includes(redirectUri)) {
      return errorPage(c, 400, "invalid_request", "redirect_uri does not match the application's registered Redirect URIs.");
    }
    const state = q.state;
    if (q.response_type !== "code") return c.redirect(withParams(redirectUri, { error: "unsupported_response_type", state }), 302);
    const challenge = q.code_challenge;
    const method = (q.code_challenge_method ?? "plain") as string;
    if (challenge && method !== "S256" && method !== "plain") {
      return c.redirect(withParams(redirectUri, { error: "invalid_request", error_description: "code_challenge_method must be S256 or plain", state }), 302);
    }
    if (ctx.config.requirePkce && !challenge) {
      return c.redirect(withParams(redirectUri, { error: "invalid_request", error_description: "code_challenge is required", state }), 302);
    }
    const decision = q.decision;
    if (decision === "deny") {
      return c.redirect(withParams(redirectUri, { error: "access_denied", error_description: "The user denied access to the application", state }), 302);
    }
    // Without an explicit choice, ?interactive=1 shows a consent page; otherwise the sandbox approves at once.
    if (decision !== "approve" && (q.interactive === "1" || q.interactive === "true")) {
      const here = new URL(c.req.url);
      const link = (params: Record<string, string>) => {
        const u = new URL(here);
        u.searchParams.delete("interactive");
        for (const [k, v] of Object.entries(params)) u.searchParams.set(k, v);
        return `${u.pathname}${u.search}`;
      };
      const users = [...ctx.state.users.values()].filter((u) => u.kind !== "buyer");
      const list = users
        .map((u) => `<li><a class="btn" href="${escapeHtml(link({ decision: "approve", sandbox_user: String(u.id) }))}">Autorizar como ${escapeHtml(u.nickname)} (${u.id}, ${u.kind})</a></li>`)
        .join("");
      return c.html(
        page(
          "Autorizar aplicação",
          `<h1>Autorizar a aplicação ${escapeHtml(ctx.config.appId)}?</h1><ul>${list}</ul><p><a class="btn" id="deny" href="${escapeHtml(link({ decision: "deny" }))}">Negar</a></p>`,
        ),
      );
    }
    const user = findUser(ctx, q.sandbox_user);
    if (!user || user.kind === "buyer") return errorPage(c, 400, "invalid_user", "sandbox_user is not a sandbox seller.");
    if (user.kind === "operator") return errorPage(c, 403, "invalid_operator_user_id", "Only the account administrator can authorize applications.");
    const code = `TG-${ctx.state.rng.hex(24)}-${user.id}`;
    ctx.state.codes.set(code, {
      code,
      userId: user.id,
      clientId: ctx.config.appId,
      redirectUri,
      challenge: challenge ?? null,
      challengeMethod: challenge ? (method as "S256" | "plain") : null,
      expires: ctx.clock.now() + ctx.config.authCodeTtlSeconds * 1000,
      used: false,
    });
    ctx.state.onChange();
    const target = withParams(redirectUri, { code, state });
    c.header("Location", target);
    return c.html(page("Redirecionando", `<p>Autorizado. <a id="continue" href="${escapeHtml(target)}">Continuar</a></p>`), 302);
  });

  app.post("/oauth/token", async (c) => {
    const p = await readParams(c);
    const grantType = p.grant_type;
    if (!grantType) return oauthError(c, 400, "invalid_request", "grant_type is required");
    if (grantType !== "authorization_code" && grantType !== "refresh_token") {
      return oauthError(c, 400, "unsupported_grant_type", "the grant_type must be one of authorization_code, refresh_token");
    }
    if (!p.client_id || !p.client_secret) return oauthError(c, 400, "invalid_request", "client_id and client_secret are required");
    if (p.client_id !== ctx.config.appId || p.client_secret !== ctx.config.clientSecret) {
      return oauthError(c, 400, "invalid_client", "invalid client_id or client_secret");
    }
    const now = ctx.clock.now();

    if (grantType === "authorization_code") {
      if (!p.code) return oauthError(c, 400, "invalid_request", "code is required");
      const rec = ctx.state.codes.get(p.code);
      if (!rec || rec.used || rec.expires <= now || rec.clientId !== p.client_id) {
        return oauthError(c, 400, "invalid_grant", INVALID_GRANT_DESCRIPTION);
      }
      if (p.redirect_uri !== rec.redirectUri) return oauthError(c, 400, "invalid_grant", "the redirect_uri does not match the one used to obtain the code");
      if (rec.challenge && rec.challengeMethod) {
        if (!p.code_verifier) return oauthError(c, 400, "invalid_request", "code_verifier is required");
        if (!verifyPkce(rec.challenge, rec.challengeMethod, p.code_verifier)) {
          // The code is burnt even on a failed PKCE check, so a guessed verifier cannot be retried.
          rec.used = true;
          return oauthError(c, 400, "invalid_grant", "code_verifier does not match the code_challenge");
        }
      }
      rec.used = true;
      return c.json(issueTokens(ctx, rec.userId, rec.clientId, ctx.state.rng.uuid()));
    }

    if (!p.refresh_token) return oauthError(c, 400, "invalid_request", "refresh_token is required");
    const rec = ctx.state.refreshTokens.get(p.refresh_token);
    if (!rec || rec.expires <= now || rec.clientId !== p.client_id) {
      return oauthError(c, 400, "invalid_grant", INVALID_GRANT_DESCRIPTION);
    }
    ctx.state.refreshTokens.delete(rec.token);
    return c.json(issueTokens(ctx, rec.userId, rec.clientId, rec.grantId));
  });
}
