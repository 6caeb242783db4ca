import { tokenEndpointFailure } from "#core/http/errors";
import { readBody, withDeadline } from "#core/http/fetch";
import type { TinyConfig } from "./config";
import { TinyApiError, TinyOAuthError } from "./errors";

/**
 * Tiny's OAuth2 is a Keycloak realm: authorization-code grant (PKCE S256 works), access
 * tokens for 4 h, refresh tokens for 1 day that rotate on every use, and Keycloak's
 * `{error, error_description}` on failures. `invalid_grant` is final for the grant.
 */
export interface TinyTokenSet {
  accessToken: string;
  refreshToken: string;
  accessExpiresAt: Date;
  refreshExpiresAt: Date;
  expiresInSeconds: number;
}

// Integrators saw `expires_in` come back 0 and Keycloak reports 0 for offline sessions; the documented lifetimes stand in.
const DOCUMENTED_ACCESS_SECONDS = 4 * 3600;
const DOCUMENTED_REFRESH_SECONDS = 24 * 3600;

export function tinyAuthorizationUrl(config: Pick<TinyConfig, "authUrl" | "clientId" | "redirectUri">, params: { state: string; codeChallenge: string }): string {
  const url = new URL(`${config.authUrl}/auth`);
  url.searchParams.set("client_id", config.clientId);
  url.searchParams.set("redirect_uri", config.redirectUri);
  url.searchParams.set("scope", "openid");
  url.searchParams.set("response_type", "code");
  url.searchParams.set("state", params.state);
  url.searchParams.set("code_challenge", params.codeChallenge);
  url.searchParams.set("code_challenge_method", "S256");
  return url.toString();
}

type TokenConfig = Pick<TinyConfig, "authUrl" | "clientId" | "clientSecret" | "redirectUri" | "timeoutMs">;

export interface TokenCallOptions {
  fetch?: typeof fetch;
  now?: () => Date;
}

function oauthFields(data: unknown): { error: string | undefined; description: string | undefined } {
  const body = data && typeof data === "object" ? (data as Record<string, unknown>) : {};
  return {
    error: typeof body.error === "string" ? body.error.slice(0, 64) : undefined,
    description: typeof body.error_description === "string" ? body.error_description.slice(0, 200) : undefined,
  };
}

async function postToken(config: TokenConfig, form: Record<string, string>, options: TokenCallOptions): Promise<TinyTokenSet> {
  const endpoint = `POST /token (${form.grant_type})`;
  const doFetch = options.fetch ?? fetch;
  const now = options.now ?? (() => new Date());
  let response: Response;
  let data: unknown;
  try {
    ({ response, data } = await withDeadline(async (signal) => {
      const res = await doFetch(`${config.authUrl}/token`, {
        method: "POST",
        // URLSearchParams encodes every value: an unescaped "+" or "&" in the secret breaks Tiny's refresh.
        headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
        body: new URLSearchParams({ ...form, client_id: config.clientId, client_secret: config.clientSecret }),
        signal,
      });
      return { response: res, data: await readBody(res) };
    }, config.timeoutMs));
  } catch (error) {
    throw new TinyOAuthError("unavailable", `Tiny's token endpoint could not be reached (${form.grant_type}).`, { endpoint, retryable: true, retryAfterSeconds: 5, cause: error });
  }
  if (response.status !== 200) {
    const { error, description } = oauthFields(data);
    const { code, ...retry } = tokenEndpointFailure(response.status);
    throw new TinyOAuthError(code, `Tiny's token endpoint refused the request (${error ?? response.status})${description ? `: ${description}` : ""}`, {
      endpoint,
      tinyStatus: response.status,
      oauthError: error,
      ...retry,
    });
  }
  const body = (data ?? {}) as Record<string, unknown>;
  const accessToken = body.access_token;
  const refreshToken = body.refresh_token;
  const tokenType = String(body.token_type ?? "bearer").toLowerCase();
  if (typeof accessToken !== "string" || !accessToken || typeof refreshToken !== "string" || !refreshToken || tokenType !== "bearer") {
    throw new TinyApiError("bad_gateway", "Tiny's token endpoint returned an unexpected body.", { endpoint, tinyStatus: 200, retryable: false });
  }
  const expiresIn = Number(body.expires_in);
  const refreshIn = Number(body.refresh_expires_in);
  const accessSeconds = Number.isFinite(expiresIn) && expiresIn > 0 ? expiresIn : DOCUMENTED_ACCESS_SECONDS;
  const refreshSeconds = Number.isFinite(refreshIn) && refreshIn > 0 ? refreshIn : DOCUMENTED_REFRESH_SECONDS;
  const at = now().getTime();
  return {
    accessToken,
    refreshToken,
    expiresInSeconds: accessSeconds,
    accessExpiresAt: new Date(at + accessSeconds * 1000),
    refreshExpiresAt: new Date(at + refreshSeconds * 1000),
  };
}

/** Never retried: a code is single-use, so a retry after Tiny consumed it can only earn invalid_grant. */
export function exchangeTinyCode(config: TokenConfig, input: { code: string; codeVerifier: string }, options: TokenCallOptions = {}): Promise<TinyTokenSet> {
  return postToken(config, { grant_type: "authorization_code", code: input.code, redirect_uri: config.redirectUri, code_verifier: input.codeVerifier }, options);
}

/** Not retried either: if Tiny rotated before the answer was lost, the old token is already dead. */
export function refreshTinyTokens(config: TokenConfig, refreshToken: string, options: TokenCallOptions = {}): Promise<TinyTokenSet> {
  return postToken(config, { grant_type: "refresh_token", refresh_token: refreshToken }, options);
}
