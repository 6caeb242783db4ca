/** One attempt at a provider's API: its deadline and its body, the same for every provider. */

/**
 * Parsed JSON, or the text when the body is not JSON (a 429 or a proxy's 5xx may be plain text or
 * HTML), or null when there is none. `binary` keeps a 2xx body as bytes (labels are PDF or ZIP);
 * an error body is still parsed, because that is where the provider explains itself.
 */
export async function readBody(response: Response, options: { binary?: boolean | undefined } = {}): Promise<unknown> {
  if (options.binary && response.ok) return new Uint8Array(await response.arrayBuffer());
  const text = await response.text();
  if (!text) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

export interface Deadline {
  /** Aborts after the time limit, or when the caller's own signal aborts (with the caller's reason). */
  readonly signal: AbortSignal;
  /** True once the time ran out: after a failure, says it was our limit and not the network or the caller. */
  readonly expired: boolean;
  /** Stops the timer and lets go of the caller's signal; call it when the attempt ends, either way. */
  clear(): void;
}

/** A per-attempt time limit that covers the whole exchange, body included, not only the headers. */
export function startDeadline(ms: number, outer?: AbortSignal): Deadline {
  const controller = new AbortController();
  let expired = false;
  const timer = setTimeout(() => {
    expired = true;
    controller.abort(new Error(`timed out after ${ms} ms`));
  }, ms);
  const onOuterAbort = () => controller.abort(outer?.reason);
  outer?.addEventListener("abort", onOuterAbort, { once: true });
  return {
    signal: controller.signal,
    get expired() {
      return expired;
    },
    clear() {
      clearTimeout(timer);
      outer?.removeEventListener("abort", onOuterAbort);
    },
  };
}

/** Runs `fn` under a deadline; the timer never outlives the call. */
export async function withDeadline<T>(fn: (signal: AbortSignal) => Promise<T>, ms: number, outer?: AbortSignal): Promise<T> {
  const deadline = startDeadline(ms, outer);
  try {
    return await fn(deadline.signal);
  } finally {
    deadline.clear();
  }
}
