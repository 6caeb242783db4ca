import { createRng, type Rng } from "../common";
import { ItemStore, type ItemFactory } from "./item-store";
import type { SellerSlot } from "./seed";
import type { AccessTokenRec, AuthCodeRec, ClaimRec, ItemRec, MissedFeed, NotificationRec, OrderRec, QuestionRec, RefreshTokenRec, ShipmentRec, UserRec } from "./types";

export interface SeedParams {
  seed: number;
  /** Listings of the demo seller. */
  listings: number;
  /** Orders of the demo seller. */
  orders: number;
  questions: number;
  claims: number;
  secondSellerListings: number;
  /** Fixed "now" the seed data is laid out around; same seed + same anchor = identical data. */
  anchor: number;
}

export interface CallbackConfig {
  url: string | null;
  /** null = every topic. */
  topics: string[] | null;
}

export interface NotificationVariants {
  /** Probabilities that a notification uses each non-canonical form. */
  idKeyAsId: number;
  userIdAsString: number;
  resourceWithoutSlash: number;
}

/** Id counters for records created after seeding (seeded listings derive their ids instead). */
export interface Sequences {
  variation: number;
  order: number;
  pack: number;
  shipment: number;
  payment: number;
  question: number;
  claim: number;
}

export const DEMO_SELLER_ID = 410_000_001;
export const SECOND_SELLER_ID = 410_000_002;
export const OPERATOR_USER_ID = 410_000_003;
export const MISSED_FEED_RETENTION_MS = 2 * 24 * 3600_000;
/** Test users (POST /users/test_user) get ids from here on, and listing ids from their own range. */
const TEST_USER_FIRST_ID = 600_000_001;
const TEST_USER_ITEM_BASE = 6_000_000_000;
const TEST_USER_ITEM_SPAN = 10_000_000;

/** All sandbox data lives here; routes read and mutate it, nothing else holds state. */
export class MlState {
  users = new Map<number, UserRec>();
  items: ItemStore;
  /** Item ids per seller in listing order (the order items/search returns by default). */
  sellerItems = new Map<number, string[]>();
  orders = new Map<number, OrderRec>();
  shipments = new Map<number, ShipmentRec>();
  questions = new Map<number, QuestionRec>();
  claims = new Map<number, ClaimRec>();
  codes = new Map<string, AuthCodeRec>();
  accessTokens = new Map<string, AccessTokenRec>();
  refreshTokens = new Map<string, RefreshTokenRec>();
  missedFeeds: MissedFeed[] = [];
  notifications: NotificationRec[] = [];
  /** Orders forced to answer 206 with these fields missing. */
  partialOrders = new Map<number, string[]>();
  callback: CallbackConfig = { url: null, topics: null };
  variants: NotificationVariants = { idKeyAsId: 0.3, userIdAsString: 0.3, resourceWithoutSlash: 0.2 };
  seq: Sequences = { variation: 0, order: 0, pack: 0, shipment: 0, payment: 0, question: 0, claim: 0 };
  /** Items changed after seeding; only these go into persisted snapshots. */
  modifiedItems = new Set<string>();
  /** Items created after seeding (kept in order so they can be re-appended on restore). */
  createdItems: string[] = [];
  /** Seeded id ranges per seller; new listings continue each seller's range. */
  slots: SellerSlot[] = [];
  /** Users made by POST /users/test_user, in creation order (their ids and ranges follow it). */
  testUsers: UserRec[] = [];
  rng: Rng;
  onChange: () => void = () => {};

  constructor(
    public params: SeedParams,
    itemFactory: ItemFactory = () => undefined,
  ) {
    this.rng = createRng(params.seed).fork("runtime");
    const sellerItems = this.sellerItems;
    this.items = new ItemStore(itemFactory, function* () {
      for (const ids of sellerItems.values()) yield* ids;
    });
  }

  /**
   * A new seller, as ML's `POST /users/test_user` makes one: no listings yet, and an id range of
   * its own so the listings it creates never collide with anyone's.
   */
  addTestUser(registered: number, existing?: UserRec): UserRec {
    const index = this.testUsers.length;
    const id = existing?.id ?? TEST_USER_FIRST_ID + index;
    const user: UserRec = existing ?? {
      id,
      nickname: `TESTUSER${id}`,
      firstName: "Test",
      lastName: `User ${index + 1}`,
      email: `test_user_${id}@testuser.com`,
      kind: "seller",
      registered,
      city: "São Paulo",
      state: "BR-SP",
    };
    this.users.set(id, user);
    this.testUsers.push(user);
    this.slots.push({ sellerId: id, slot: this.slots.length, base: TEST_USER_ITEM_BASE + index * TEST_USER_ITEM_SPAN, count: 0 });
    return user;
  }

  touchItem(item: ItemRec): void {
    this.modifiedItems.add(item.id);
    this.onChange();
  }

  addItem(item: ItemRec, created: boolean): void {
    this.items.set(item.id, item);
    let list = this.sellerItems.get(item.sellerId);
    if (!list) {
      list = [];
      this.sellerItems.set(item.sellerId, list);
    }
    list.push(item.id);
    if (created) {
      this.createdItems.push(item.id);
      this.touchItem(item);
    }
  }

  recordNotification(n: NotificationRec): void {
    this.notifications.push(n);
    if (this.notifications.length > 5_000) this.notifications.splice(0, this.notifications.length - 5_000);
  }

  pruneMissedFeeds(now: number): void {
    const cutoff = now - MISSED_FEED_RETENTION_MS;
    if (this.missedFeeds.length > 0 && (this.missedFeeds[0]?.failedAt ?? now) < cutoff) {
      this.missedFeeds = this.missedFeeds.filter((m) => m.failedAt >= cutoff);
    }
  }
}

/** What survives a restart. Unmodified seeded items are rebuilt from the seed instead of stored. */
export interface MlSnapshot {
  version: 1;
  params: SeedParams;
  seq: Sequences;
  items: ItemRec[];
  createdItems: string[];
  orders: OrderRec[];
  shipments: ShipmentRec[];
  questions: QuestionRec[];
  claims: ClaimRec[];
  codes: AuthCodeRec[];
  accessTokens: AccessTokenRec[];
  refreshTokens: RefreshTokenRec[];
  missedFeeds: MissedFeed[];
  partialOrders: Array<[number, string[]]>;
  callback: CallbackConfig;
  variants: NotificationVariants;
  /** Absent in snapshots taken before test users existed. */
  testUsers?: UserRec[];
}

export function toSnapshot(state: MlState): MlSnapshot {
  const items: ItemRec[] = [];
  for (const id of state.modifiedItems) {
    const item = state.items.get(id);
    if (item) items.push(item);
  }
  return {
    version: 1,
    params: state.params,
    seq: { ...state.seq },
    items,
    createdItems: [...state.createdItems],
    orders: [...state.orders.values()],
    shipments: [...state.shipments.values()],
    questions: [...state.questions.values()],
    claims: [...state.claims.values()],
    codes: [...state.codes.values()],
    accessTokens: [...state.accessTokens.values()],
    refreshTokens: [...state.refreshTokens.values()],
    missedFeeds: state.missedFeeds,
    partialOrders: [...state.partialOrders],
    callback: state.callback,
    variants: state.variants,
    testUsers: state.testUsers,
  };
}

/** Overlay a snapshot onto a state freshly seeded with snapshot.params. */
export function applySnapshot(state: MlState, snap: MlSnapshot): void {
  // Before the items: a created listing of a test user needs its seller's range back.
  for (const user of snap.testUsers ?? []) state.addTestUser(user.registered, user);
  const created = new Set(snap.createdItems);
  for (const item of snap.items) {
    if (created.has(item.id)) state.addItem(item, false);
    else state.items.set(item.id, item);
    state.modifiedItems.add(item.id);
  }
  state.createdItems = [...snap.createdItems];
  state.seq = { ...snap.seq };
  state.orders = new Map(snap.orders.map((o) => [o.id, o]));
  state.shipments = new Map(snap.shipments.map((s) => [s.id, s]));
  state.questions = new Map(snap.questions.map((q) => [q.id, q]));
  state.claims = new Map(snap.claims.map((x) => [x.id, x]));
  state.codes = new Map(snap.codes.map((x) => [x.code, x]));
  state.accessTokens = new Map(snap.accessTokens.map((x) => [x.token, x]));
  state.refreshTokens = new Map(snap.refreshTokens.map((x) => [x.token, x]));
  state.missedFeeds = snap.missedFeeds;
  state.partialOrders = new Map(snap.partialOrders);
  state.callback = snap.callback;
  state.variants = snap.variants;
}
