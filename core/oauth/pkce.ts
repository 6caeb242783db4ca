import { randomToken, toBase64Url } from "../crypto";

/**
 * PKCE (RFC 7636) for every provider's authorization-code flow: the challenge goes in the
 * authorization URL, the verifier stays server-side with the one-time state until the code
 * exchange. Only S256: both MercadoLibre and Tiny's Keycloak accept it, and "plain" would put
 * the verifier itself in the browser's URL.
 */
export interface PkcePair {
  verifier: string;
  challenge: string;
  method: "S256";
}

/** base64url(SHA-256(verifier)), without padding. */
export async function pkceChallenge(verifier: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
  return toBase64Url(new Uint8Array(digest));
}

/** A 43-character verifier from 32 random bytes (the RFC's minimum length and its recommended entropy). */
export async function createPkcePair(): Promise<PkcePair> {
  const verifier = randomToken(32);
  return { verifier, challenge: await pkceChallenge(verifier), method: "S256" };
}
