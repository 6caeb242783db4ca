import type { Clock } from "../common/clock";
import type { Order, TinyState } from "./state";
import type { ReservationIndex } from "./stock";

// Every domain module receives this instead of module-level singletons, so several sandboxes
// (one per test file) can run in one process without sharing state.

export interface TinyEvents {
  /** Physical balance of a product changed (Tiny's `estoque` webhook). */
  stockChanged(productId: number): void;
  orderCreated(order: Order): void;
  orderUpdated(order: Order): void;
}

export interface TinySettings {
  /** Largest `limit` honoured; Tiny declares none, the sandbox caps so clients must paginate. */
  maxLimit: number;
  /** How long an identical order payload is rejected with 409 (observed ≥ 21 min). */
  duplicateWindowMs: number;
  /** Public base URL of this sandbox (DANFE links, label URLs, OAuth issuer). */
  baseUrl: string;
}

export interface TinyContext {
  state: TinyState;
  clock: Clock;
  events: TinyEvents;
  settings: TinySettings;
  /** Stock held by open orders; invalidated whenever an order changes. */
  reservations: ReservationIndex;
  /** Marks state dirty for the snapshot writer. */
  changed(): void;
}
