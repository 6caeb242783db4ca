import { createHash, randomUUID } from "node:crypto";
import type { Context, Hono, MiddlewareHandler } from "hono";
import { SignJWT, errors as joseErrors, jwtVerify } from "jose";
import type { TinyContext } from "./context";
import type { OAuthSession } from "./state";

// Tiny's OAuth2 is a Keycloak realm ("tiny"): authorization-code grant, 4 h access tokens,
// 1-day refresh tokens that rotate (the previous one dies on use), Keycloak error bodies
// ({error, error_description}) on the token endpoint, and a plain 401 on the API.

export const REALM_PATH = "/realms/tiny/protocol/openid-connect";
const CODE_TTL_MS = 60_000;

export type AuthMode = "approve" | "deny" | "page";

export interface OAuthSettings {
  clientId: string;
  clientSecret: string;
  accessTokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;
  /** What the authorization page does without an explicit `sandbox_decision`. */
  mode: AuthMode;
  /** Allowed redirect URIs; empty accepts any http(s) URL (the app's registered URL is not modelled). */
  redirectUris: string[];
}

export interface TokenResponse {
  access_token: string;
  expires_in: number;
  refresh_expires_in: number;
  refresh_token: string;
  token_type: "Bearer";
  id_token: string;
  "not-before-policy": 0;
  session_state: string;
  scope: string;
}

/** Roles as they appear in real tokens under resource_access["tiny-api"]. */
const ROLES = [
  "produtos-leitura",
  "produtos-escrita",
  "estoque-leitura",
  "estoque-escrita",
  "depositos-leitura",
  "pedidos-leitura",
  "pedidos-escrita",
  "notas-leitura",
  "notas-escrita",
  "contatos-leitura",
  "contatos-escrita",
  "expedicao-leitura",
  "expedicao-escrita",
];
const SCOPE = "openid email offline_access";

class GrantError extends Error {
  constructor(
    readonly status: 400 | 401,
    readonly error: string,
    description: string,
  ) {
    super(description);
  }
}

export interface OAuthServer {
  settings: OAuthSettings;
  /** Issues tokens for a fresh session without the browser dance (tests, demo scripts). */
  issueTokens(): Promise<TokenResponse>;
  /** Ends every session: all access and refresh tokens stop working, as after a password change. */
  revokeAll(): void;
  requireBearer: MiddlewareHandler;
  register(app: Hono): void;
}

export function createOAuthServer(ctx: TinyContext, settings: OAuthSettings): OAuthServer {
  // Derived from the seed so tokens survive a restart that restores a persisted snapshot.
  const key = () => createHash("sha256").update(`tiny-sandbox-jwt:${ctx.state.seed}:${ctx.state.account.cnpj}`).digest();
  const issuer = () => `${ctx.settings.baseUrl}/realms/tiny`;
  const userId = () =>
    createHash("md5")
      .update(`user:${ctx.state.account.id}`)
      .digest("hex")
      .replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, "$1-$2-$3-$4-$5");
  const nowSec = () => Math.floor(ctx.clock.now() / 1000);

  async function sign(claims: Record<string, unknown>, ttl: number): Promise<string> {
    const iat = nowSec();
    return new SignJWT({ ...claims, iat, exp: iat + ttl, jti: randomUUID(), iss: issuer(), sub: userId() }).setProtectedHeader({ alg: "HS256", typ: "JWT" }).sign(key());
  }

  async function tokensFor(session: OAuthSession): Promise<TokenResponse> {
    const common = { azp: session.clientId, sid: session.id, session_state: session.id };
    const access = await sign(
      { ...common, typ: "Bearer", aud: "tiny-api", scope: SCOPE, resource_access: { "tiny-api": { roles: ROLES } }, preferred_username: ctx.state.account.email },
      settings.accessTokenTtlSeconds,
    );
    const refreshJti = randomUUID();
    const iat = nowSec();
    const refresh = await new SignJWT({ ...common, typ: "Refresh", aud: issuer(), scope: SCOPE, iat, exp: iat + settings.refreshTokenTtlSeconds, jti: refreshJti, iss: issuer(), sub: userId() })
      .setProtectedHeader({ alg: "HS256", typ: "JWT" })
      .sign(key());
    const idToken = await sign({ ...common, typ: "ID", aud: session.clientId, email: ctx.state.account.email }, settings.accessTokenTtlSeconds);
    session.refreshJti = refreshJti;
    session.refreshExpiresAt = (iat + settings.refreshTokenTtlSeconds) * 1000;
    ctx.changed();
    return {
      access_token: access,
      expires_in: settings.accessTokenTtlSeconds,
      refresh_expires_in: settings.refreshTokenTtlSeconds,
      refresh_token: refresh,
      token_type: "Bearer",
      id_token: idToken,
      "not-before-policy": 0,
      session_state: session.id,
      scope: SCOPE,
    };
  }

  function newSession(clientId: string): OAuthSession {
    // Dead sessions and codes would otherwise pile up in every persisted snapshot. Deleting them
    // changes nothing observable: their tokens are already rejected.
    const now = ctx.clock.now();
    for (const [id, s] of ctx.state.oauthSessions) {
      const neverExchanged = s.refreshExpiresAt === 0 && s.createdAt + CODE_TTL_MS < now;
      if (!s.active || neverExchanged || (s.refreshExpiresAt > 0 && s.refreshExpiresAt < now)) ctx.state.oauthSessions.delete(id);
    }
    for (const [code, c] of ctx.state.oauthCodes) if (c.expiresAt < now) ctx.state.oauthCodes.delete(code);
    const session: OAuthSession = { id: randomUUID(), clientId, createdAt: ctx.clock.now(), active: true, refreshJti: "", refreshExpiresAt: 0 };
    ctx.state.oauthSessions.set(session.id, session);
    return session;
  }

  async function verify(token: string, typ: string): Promise<Record<string, unknown>> {
    // No issuer check: the base URL changes between restarts on port 0 (and localhost vs 127.0.0.1),
    // and a restored snapshot must keep its sessions valid.
    const { payload } = await jwtVerify(token, key(), { currentDate: new Date(ctx.clock.now()), clockTolerance: 0 });
    if (payload.typ !== typ) throw new Error("wrong token type");
    return payload as Record<string, unknown>;
  }

  function authenticateClient(c: Context, form: URLSearchParams): string {
    let id = form.get("client_id");
    let secret = form.get("client_secret");
    const basic = /^Basic\s+(.+)$/i.exec(c.req.header("authorization") ?? "");
    if (basic?.[1]) {
      const decoded = Buffer.from(basic[1], "base64").toString("utf8");
      const sep = decoded.indexOf(":");
      id = decodeURIComponent(decoded.slice(0, sep));
      secret = decodeURIComponent(decoded.slice(sep + 1));
    }
    if (!id) throw new GrantError(400, "invalid_request", "Missing parameter: client_id");
    if (id !== settings.clientId) throw new GrantError(401, "invalid_client", "Invalid client or Invalid client credentials");
    if (secret !== settings.clientSecret) throw new GrantError(401, "unauthorized_client", "Invalid client or Invalid client credentials");
    return id;
  }

  async function grantCode(form: URLSearchParams, clientId: string): Promise<TokenResponse> {
    const code = form.get("code");
    if (!code) throw new GrantError(400, "invalid_request", "Missing parameter: code");
    const entry = ctx.state.oauthCodes.get(code);
    if (!entry || entry.clientId !== clientId) throw new GrantError(400, "invalid_grant", "Code not valid");
    if (entry.used) {
      // Keycloak treats a replayed code as theft and kills the session it created.
      const session = ctx.state.oauthSessions.get(entry.sessionId);
      if (session) session.active = false;
      ctx.changed();
      throw new GrantError(400, "invalid_grant", "Code not valid");
    }
    entry.used = true;
    ctx.changed();
    if (ctx.clock.now() > entry.expiresAt) throw new GrantError(400, "invalid_grant", "Code not valid");
    if (form.get("redirect_uri") !== entry.redirectUri) throw new GrantError(400, "invalid_grant", "Incorrect redirect_uri");
    if (entry.codeChallenge) {
      const verifier = form.get("code_verifier");
      if (!verifier) throw new GrantError(400, "invalid_grant", "PKCE code verifier not specified");
      const computed = entry.codeChallengeMethod === "S256" ? createHash("sha256").update(verifier).digest("base64url") : verifier;
      if (computed !== entry.codeChallenge) throw new GrantError(400, "invalid_grant", "PKCE verification failed: Invalid code verifier");
    }
    const session = ctx.state.oauthSessions.get(entry.sessionId);
    if (!session || !session.active) throw new GrantError(400, "invalid_grant", "Code not valid");
    return tokensFor(session);
  }

  async function grantRefresh(form: URLSearchParams, clientId: string): Promise<TokenResponse> {
    const token = form.get("refresh_token");
    if (!token) throw new GrantError(400, "invalid_request", "Missing parameter: refresh_token");
    let claims: Record<string, unknown>;
    try {
      claims = await verify(token, "Refresh");
    } catch (err) {
      if (err instanceof joseErrors.JWTExpired) throw new GrantError(400, "invalid_grant", "Token is not active");
      throw new GrantError(400, "invalid_grant", "Invalid refresh token");
    }
    if (claims.azp !== clientId) throw new GrantError(400, "invalid_grant", "Invalid refresh token. Token client and authorized client don't match");
    const session = ctx.state.oauthSessions.get(String(claims.sid));
    if (!session || !session.active) throw new GrantError(400, "invalid_grant", "Session not active");
    if (session.refreshJti !== claims.jti) throw new GrantError(400, "invalid_grant", "Maximum allowed refresh token reuse exceeded");
    return tokensFor(session);
  }

  const requireBearer: MiddlewareHandler = async (c, next) => {
    const m = /^Bearer\s+(\S+)$/i.exec(c.req.header("authorization") ?? "");
    const unauthorized = () => c.json({ mensagem: "Token de acesso inválido ou expirado" }, 401, { "WWW-Authenticate": 'Bearer realm="tiny"' });
    if (!m?.[1]) return unauthorized();
    try {
      const claims = await verify(m[1], "Bearer");
      const session = ctx.state.oauthSessions.get(String(claims.sid));
      if (!session || !session.active) return unauthorized();
    } catch {
      return unauthorized();
    }
    return next();
  };

  function validRedirect(uri: string | undefined): uri is string {
    if (!uri) return false;
    if (settings.redirectUris.length > 0) return settings.redirectUris.includes(uri);
    try {
      const u = new URL(uri);
      return u.protocol === "http:" || u.protocol === "https:";
    } catch {
      return false;
    }
  }

  const errorPage = (c: Context, message: string) =>
    c.html(
      `<!doctype html><html lang="pt-BR"><head><meta charset="utf-8"><title>Tiny (sandbox)</title></head><body><h1>We are sorry...</h1><p id="kc-error-message">${message}</p></body></html>`,
      400,
    );

  function redirectWith(base: string, params: Record<string, string | undefined>): string {
    const u = new URL(base);
    for (const [k, v] of Object.entries(params)) if (v !== undefined) u.searchParams.set(k, v);
    return u.toString();
  }

  return {
    settings,
    requireBearer,
    issueTokens: () => tokensFor(newSession(settings.clientId)),
    revokeAll() {
      for (const s of ctx.state.oauthSessions.values()) s.active = false;
      ctx.changed();
    },
    register(app) {
      app.get(`${REALM_PATH}/auth`, (c) => {
        const q = c.req.query();
        if (q.client_id !== settings.clientId) return errorPage(c, "Client not found.");
        if (!validRedirect(q.redirect_uri)) return errorPage(c, "Invalid parameter: redirect_uri");
        const redirectUri = q.redirect_uri;
        if (q.response_type !== "code") return c.redirect(redirectWith(redirectUri, { error: "unsupported_response_type", error_description: "Unsupported response type", state: q.state }), 302);
        if (q.code_challenge_method && q.code_challenge_method !== "S256" && q.code_challenge_method !== "plain") {
          return c.redirect(redirectWith(redirectUri, { error: "invalid_request", error_description: "Invalid parameter: code challenge method is not configured one", state: q.state }), 302);
        }
        const decision = q.sandbox_decision ?? settings.mode;
        if (decision === "deny") {
          return c.redirect(redirectWith(redirectUri, { error: "access_denied", error_description: "User denied consent", state: q.state }), 302);
        }
        if (decision === "page") {
          const here = new URL(c.req.url);
          const link = (d: string) => {
            const u = new URL(here);
            u.searchParams.set("sandbox_decision", d);
            return `${u.pathname}${u.search}`.replace(/&/g, "&amp;");
          };
          return c.html(
            `<!doctype html><html lang="pt-BR"><head><meta charset="utf-8"><title>Tiny ERP (sandbox) - Autorizar aplicativo</title></head><body>` +
              `<h1>Tiny ERP (sandbox)</h1><p>O aplicativo <b>${settings.clientId}</b> quer acessar a conta <b>${ctx.state.account.razaoSocial}</b>.</p>` +
              `<p><a id="approve" href="${link("approve")}">Autorizar</a> · <a id="deny" href="${link("deny")}">Negar</a></p></body></html>`,
          );
        }
        const session = newSession(settings.clientId);
        const code = `${randomUUID()}.${session.id}.${randomUUID()}`;
        ctx.state.oauthCodes.set(code, {
          code,
          clientId: settings.clientId,
          redirectUri,
          codeChallenge: q.code_challenge ?? null,
          codeChallengeMethod: q.code_challenge ? (q.code_challenge_method ?? "plain") : null,
          expiresAt: ctx.clock.now() + CODE_TTL_MS,
          used: false,
          sessionId: session.id,
        });
        ctx.changed();
        return c.redirect(redirectWith(redirectUri, { state: q.state, session_state: session.id, iss: issuer(), code }), 302);
      });

      app.post(`${REALM_PATH}/token`, async (c) => {
        const form = (c.req.header("content-type") ?? "").includes("application/x-www-form-urlencoded") ? new URLSearchParams(await c.req.text()) : new URLSearchParams();
        try {
          const grant = form.get("grant_type");
          if (!grant) throw new GrantError(400, "invalid_request", "Missing form parameter: grant_type");
          const clientId = authenticateClient(c, form);
          let tokens: TokenResponse;
          if (grant === "authorization_code") tokens = await grantCode(form, clientId);
          else if (grant === "refresh_token") tokens = await grantRefresh(form, clientId);
          else throw new GrantError(400, "unsupported_grant_type", "Unsupported grant_type");
          return c.json(tokens, 200, { "Cache-Control": "no-store", Pragma: "no-cache" });
        } catch (err) {
          if (err instanceof GrantError) return c.json({ error: err.error, error_description: err.message }, err.status, { "Cache-Control": "no-store" });
          throw err;
        }
      });

      app.get("/realms/tiny/.well-known/openid-configuration", (c) =>
        c.json({
          issuer: issuer(),
          authorization_endpoint: `${ctx.settings.baseUrl}${REALM_PATH}/auth`,
          token_endpoint: `${ctx.settings.baseUrl}${REALM_PATH}/token`,
          grant_types_supported: ["authorization_code", "refresh_token"],
          response_types_supported: ["code"],
          code_challenge_methods_supported: ["plain", "S256"],
          token_endpoint_auth_methods_supported: ["client_secret_post", "client_secret_basic"],
        }),
      );
    },
  };
}
