import type { MlConfig, MlSiteId } from "./config";
import { mlAuthHosts } from "./config";
import { MlApiError } from "./errors";
import { classifyOAuthFailure, mlTransport, type MlTransportOptions } from "./transport";

/** What ML's token endpoint returns for both grants (`refresh_token` only with offline_access). */
export interface MlTokenSet {
  accessToken: string;
  refreshToken: string;
  /** Absolute, computed from `expires_in` when the answer arrived. */
  expiresAt: Date;
  expiresInSeconds: number;
  userId: number;
  scope: string | null;
}

export function authorizationUrl(config: Pick<MlConfig, "authUrl" | "appId" | "redirectUri">, params: { site: MlSiteId; state: string; codeChallenge: string }): string {
  const base = config.authUrl ?? mlAuthHosts[params.site];
  const url = new URL("/authorization", base);
  url.searchParams.set("response_type", "code");
  url.searchParams.set("client_id", config.appId);
  url.searchParams.set("redirect_uri", config.redirectUri);
  url.searchParams.set("state", params.state);
  url.searchParams.set("code_challenge", params.codeChallenge);
  url.searchParams.set("code_challenge_method", "S256");
  return url.toString();
}

type TokenConfig = Pick<MlConfig, "apiUrl" | "appId" | "clientSecret" | "redirectUri" | "timeoutMs" | "maxAttempts">;

function transportOptions(config: TokenConfig, overrides?: Partial<MlTransportOptions>): MlTransportOptions {
  return { timeoutMs: config.timeoutMs, maxAttempts: config.maxAttempts, ...overrides };
}

async function postToken(config: TokenConfig, form: Record<string, string>, now: () => Date, overrides?: Partial<MlTransportOptions>): Promise<MlTokenSet> {
  const endpoint = `POST /oauth/token (${form.grant_type})`;
  const response = await mlTransport(
    {
      method: "POST",
      url: new URL("/oauth/token", config.apiUrl).toString(),
      headers: { "content-type": "application/x-www-form-urlencoded" },
      // ML wants the parameters in the body, form-encoded; never in the query string where proxies log them.
      body: new URLSearchParams({ ...form, client_id: config.appId, client_secret: config.clientSecret }),
      retryUnsafe: true,
      endpoint,
    },
    transportOptions(config, overrides),
  );
  if (response.status !== 200) throw classifyOAuthFailure(response, endpoint);
  const body = response.data as Record<string, unknown> | null;
  const accessToken = body?.access_token;
  const refreshToken = body?.refresh_token;
  const expiresIn = Number(body?.expires_in);
  const userId = Number(body?.user_id);
  const tokenType = String(body?.token_type ?? "bearer");
  if (typeof accessToken !== "string" || !accessToken || !Number.isFinite(expiresIn) || expiresIn <= 0 || !Number.isSafeInteger(userId) || tokenType.toLowerCase() !== "bearer") {
    throw new MlApiError("bad_gateway", "MercadoLibre's token endpoint returned an unexpected body.", { endpoint, mlStatus: 200, retryable: false });
  }
  if (typeof refreshToken !== "string" || !refreshToken) {
    // Without offline_access ML issues no refresh token; the connection would die in 6 hours.
    throw new MlApiError("bad_gateway", "MercadoLibre returned no refresh token: enable offline_access on the application.", {
      endpoint,
      mlStatus: 200,
      retryable: false,
    });
  }
  return {
    accessToken,
    refreshToken,
    expiresInSeconds: expiresIn,
    expiresAt: new Date(now().getTime() + expiresIn * 1000),
    userId,
    scope: typeof body?.scope === "string" ? body.scope : null,
  };
}

export function exchangeAuthorizationCode(config: TokenConfig, input: { code: string; codeVerifier: string }, now: () => Date = () => new Date()): Promise<MlTokenSet> {
  return postToken(
    config,
    { grant_type: "authorization_code", code: input.code, redirect_uri: config.redirectUri, code_verifier: input.codeVerifier },
    now,
    // A code is single-use: if ML consumed it before failing, a retry only earns invalid_grant.
    { maxAttempts: 1 },
  );
}

export function refreshAccessToken(config: TokenConfig, refreshToken: string, now: () => Date = () => new Date()): Promise<MlTokenSet> {
  return postToken(config, { grant_type: "refresh_token", refresh_token: refreshToken }, now);
}
