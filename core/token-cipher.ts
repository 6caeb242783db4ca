/**
 * AES-256-GCM for provider tokens at rest (WebCrypto, so the Worker and the jobs container
 * share it). Keys are named: the sealed value carries the id of the key that sealed it, so a
 * new key can become current while rows sealed under the old one stay readable until the
 * rotation command (`npm run tokens:rotate`) rewrites them.
 *
 * Sealed format: `v1.<kid>.<iv>.<ciphertext+tag>` (base64url). The caller's `context`
 * (e.g. "ml_accounts:<id>:refresh") is bound as additional authenticated data, so a
 * ciphertext copied into another row or column fails to open instead of being accepted.
 */
import { toBase64Url } from "./crypto";

const VERSION = "v1";
const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

export class TokenKeyringError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TokenKeyringError";
  }
}

/** A token could not be opened: wrong or missing key, tampered bytes, or another row's value. */
export class TokenDecryptError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TokenDecryptError";
  }
}

export interface TokenCipher {
  /** The key new values are sealed under (the first one in TOKEN_ENCRYPTION_KEYS). */
  readonly currentKeyId: string;
  readonly keyIds: readonly string[];
  seal(plaintext: string, context: string): Promise<string>;
  open(sealed: string, context: string): Promise<string>;
  /** The key id a sealed value names, without opening it. */
  keyIdOf(sealed: string): string;
}

function fromBase64(value: string): Uint8Array<ArrayBuffer> {
  const normalised = value.replaceAll("-", "+").replaceAll("_", "/");
  const padded = normalised + "=".repeat((4 - (normalised.length % 4)) % 4);
  const binary = atob(padded);
  return Uint8Array.from(binary, (ch) => ch.charCodeAt(0));
}

/**
 * Parses "kid1:base64key,kid2:base64key" (first = current). Errors name the entry, never the key.
 */
export function parseTokenKeys(spec: string): { id: string; key: Uint8Array<ArrayBuffer> }[] {
  const entries = spec
    .split(",")
    .map((part) => part.trim())
    .filter(Boolean);
  if (entries.length === 0) throw new TokenKeyringError("TOKEN_ENCRYPTION_KEYS is empty; expected kid:base64key[,kid:base64key...]");
  const seen = new Set<string>();
  return entries.map((entry, index) => {
    const colon = entry.indexOf(":");
    const id = colon > 0 ? entry.slice(0, colon) : "";
    if (!KEY_ID.test(id)) throw new TokenKeyringError(`TOKEN_ENCRYPTION_KEYS entry ${index + 1}: key id must be 1-32 of [A-Za-z0-9_-]`);
    if (seen.has(id)) throw new TokenKeyringError(`TOKEN_ENCRYPTION_KEYS: key id "${id}" appears twice`);
    seen.add(id);
    let key: Uint8Array<ArrayBuffer>;
    try {
      key = fromBase64(entry.slice(colon + 1));
    } catch {
      throw new TokenKeyringError(`TOKEN_ENCRYPTION_KEYS key "${id}": not valid base64`);
    }
    if (key.byteLength !== 32) throw new TokenKeyringError(`TOKEN_ENCRYPTION_KEYS key "${id}": must decode to 32 bytes (AES-256), got ${key.byteLength}`);
    return { id, key };
  });
}

/** A fresh random key in the format TOKEN_ENCRYPTION_KEYS expects, for docs and tests. */
export function generateTokenKey(id: string): string {
  const bytes = new Uint8Array(32);
  crypto.getRandomValues(bytes);
  return `${id}:${toBase64Url(bytes)}`;
}

export async function createTokenCipher(spec: string): Promise<TokenCipher> {
  const parsed = parseTokenKeys(spec);
  const keys = new Map<string, Awaited<ReturnType<typeof crypto.subtle.importKey>>>();
  for (const { id, key } of parsed) {
    keys.set(id, await crypto.subtle.importKey("raw", key, { name: "AES-GCM" }, false, ["encrypt", "decrypt"]));
  }
  const currentKeyId = parsed[0]!.id;

  const split = (sealed: string) => {
    const parts = sealed.split(".");
    if (parts.length !== 4 || parts[0] !== VERSION) throw new TokenDecryptError("not a sealed token");
    return { kid: parts[1]!, iv: parts[2]!, data: parts[3]! };
  };

  return {
    currentKeyId,
    keyIds: parsed.map((entry) => entry.id),
    async seal(plaintext, context) {
      const iv = new Uint8Array(12);
      crypto.getRandomValues(iv);
      const key = keys.get(currentKeyId)!;
      const additionalData = encoder.encode(`${currentKeyId}|${context}`);
      const data = await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData }, key, encoder.encode(plaintext));
      return `${VERSION}.${currentKeyId}.${toBase64Url(iv)}.${toBase64Url(new Uint8Array(data))}`;
    },
    async open(sealed, context) {
      const { kid, iv, data } = split(sealed);
      const key = keys.get(kid);
      if (!key) throw new TokenDecryptError(`token sealed under unknown key id "${kid}"`);
      try {
        const plain = await crypto.subtle.decrypt({ name: "AES-GCM", iv: fromBase64(iv), additionalData: encoder.encode(`${kid}|${context}`) }, key, fromBase64(data));
        return decoder.decode(plain);
      } catch {
        throw new TokenDecryptError(`token under key "${kid}" failed authentication`);
      }
    },
    keyIdOf(sealed) {
      return split(sealed).kid;
    },
  };
}

/** The column of an OAuth access/refresh pair a sealed value belongs to; part of its context. */
export type TokenKind = "access" | "refresh";

/** A row's context for each of its two token columns, e.g. "ml_accounts:<id>:refresh". */
export type TokenContext = (rowId: string, kind: TokenKind) => string;

/**
 * Seals one row's access/refresh pair under the current key, each value bound to its own column.
 * The token managers and the rotation command all write through this, so a re-sealed row opens
 * exactly where its token manager looks.
 */
export async function sealTokenPair(
  cipher: TokenCipher,
  context: TokenContext,
  rowId: string,
  tokens: { accessToken: string; refreshToken: string },
): Promise<{ accessTokenEnc: string; refreshTokenEnc: string; tokenKeyId: string }> {
  return {
    accessTokenEnc: await cipher.seal(tokens.accessToken, context(rowId, "access")),
    refreshTokenEnc: await cipher.seal(tokens.refreshToken, context(rowId, "refresh")),
    tokenKeyId: cipher.currentKeyId,
  };
}
