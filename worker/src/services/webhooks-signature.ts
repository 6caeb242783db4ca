/**
 * Mercado Pago's webhook signature (mercadolibre-api.md §5.5). MercadoLibre marketplace
 * notifications carry no signature at all; this applies only when a sender does include the
 * MP-style `x-signature: ts=…,v1=…` and `x-request-id` pair and a secret is configured.
 *
 * Manifest: `id:<data.id>;request-id:<x-request-id>;ts:<ts>;`, each pair only when its value is
 * present, trailing `;` always. `data.id` comes from the query string, lowercased when
 * alphanumeric (MP's docs). v1 = hex HMAC-SHA256(secret, manifest), compared in constant time.
 * MP's docs show a seconds `ts` while its SDK treats it as milliseconds, so both are accepted:
 * a value above 10^11 is read as milliseconds.
 */

export interface SignatureInput {
  secret: string;
  signature: string;
  requestId: string | null;
  dataId: string | null;
  toleranceSeconds: number;
  now: Date;
}

export type SignatureVerdict = { ok: true } | { ok: false; reason: string };

const encoder = new TextEncoder();

export function parseSignatureHeader(header: string): Record<string, string> {
  const parts: Record<string, string> = {};
  for (const piece of header.split(",")) {
    const eq = piece.indexOf("=");
    if (eq <= 0) continue;
    // Unknown keys (a future v2) are kept but ignored by the verifier.
    parts[piece.slice(0, eq).trim()] = piece.slice(eq + 1).trim();
  }
  return parts;
}

export function signatureManifest(dataId: string | null, requestId: string | null, ts: string): string {
  const id = dataId && /^[a-z0-9]+$/i.test(dataId) ? dataId.toLowerCase() : dataId;
  const pairs = [id ? `id:${id}` : null, requestId ? `request-id:${requestId}` : null, `ts:${ts}`].filter(Boolean);
  return `${pairs.join(";")};`;
}

async function hmacHex(secret: string, message: string): Promise<string> {
  const key = await crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const mac = await crypto.subtle.sign("HMAC", key, encoder.encode(message));
  return Array.from(new Uint8Array(mac), (b) => b.toString(16).padStart(2, "0")).join("");
}

function constantTimeEqual(a: string, b: string): boolean {
  const left = encoder.encode(a);
  const right = encoder.encode(b);
  let diff = left.length ^ right.length;
  for (let i = 0; i < Math.max(left.length, right.length); i++) diff |= (left[i] ?? 0) ^ (right[i] ?? 0);
  return diff === 0;
}

export async function signMpManifest(secret: string, dataId: string | null, requestId: string | null, ts: string): Promise<string> {
  return hmacHex(secret, signatureManifest(dataId, requestId, ts));
}

export async function verifyMpSignature(input: SignatureInput): Promise<SignatureVerdict> {
  const parts = parseSignatureHeader(input.signature);
  const ts = parts.ts;
  const v1 = parts.v1;
  if (!ts || !/^\d+$/.test(ts) || !v1) return { ok: false, reason: "expected ts=<digits>,v1=<hex>" };
  const tsMs = Number(ts) > 1e11 ? Number(ts) : Number(ts) * 1000;
  if (Math.abs(input.now.getTime() - tsMs) > input.toleranceSeconds * 1000) return { ok: false, reason: "timestamp outside the tolerance" };
  const expected = await hmacHex(input.secret, signatureManifest(input.dataId, input.requestId, ts));
  return constantTimeEqual(expected, v1.toLowerCase()) ? { ok: true } : { ok: false, reason: "signature mismatch" };
}
