// Internal records: compact, JSON-serialisable, and independent of ML's wire shapes (render.ts
// builds those). Keeping them small is what makes a 100k-listing seed start fast.

export type ItemStatus = "active" | "paused" | "closed" | "under_review" | "inactive";

export interface AttributeCombination {
  id: string;
  name: string;
  value_id: string | null;
  value_name: string;
}

export interface VariationRec {
  id: number;
  combos: AttributeCombination[];
  price: number;
  qty: number;
  sold: number;
  sku: string | null;
  customField: string | null;
  /** The GTIN attribute of this variation; optional so older snapshots still load. */
  gtin?: string | null;
  /** null = the default picture derived from the id (saves memory on large seeds). */
  pictureIds: string[] | null;
}

export interface ItemRec {
  id: string;
  sellerId: number;
  title: string;
  categoryId: string;
  price: number;
  qty: number;
  initialQty: number;
  sold: number;
  status: ItemStatus;
  subStatus: string[];
  listingType: string;
  condition: string;
  logisticType: string;
  freeShipping: boolean;
  customField: string | null;
  sku: string | null;
  /** The GTIN attribute (listing level; a listing with variations carries them per variation). Optional so older snapshots still load. */
  gtin?: string | null;
  brand: string;
  variations: VariationRec[] | null;
  /**
   * Set when the listing is on the User Products model (mercadolibre-api.md §3.5): its stock is
   * then written only through /user-products/{id}/stock. Optional so older snapshots still load.
   */
  userProductId?: string | null;
  /** The stock's x-version; absent means 1 (never changed), so seeded listings need not store it. */
  stockVersion?: number;
  pictureIds: string[] | null;
  /** null = the default text derived from the title. */
  description: string | null;
  created: number;
  updated: number;
}

export type OrderStatus = "confirmed" | "payment_required" | "payment_in_process" | "partially_paid" | "paid" | "partially_refunded" | "pending_cancel" | "cancelled";

export interface PaymentRec {
  id: number;
  status: "approved" | "pending" | "refunded" | "cancelled";
  statusDetail: string;
  amount: number;
  method: string;
  created: number;
  approved: number | null;
}

export interface CancelDetail {
  group: string;
  code: string;
  description: string;
  requested_by: string;
  date: number;
}

export interface OrderRec {
  id: number;
  sellerId: number;
  buyerId: number;
  itemId: string;
  variationId: number | null;
  title: string;
  categoryId: string;
  sku: string | null;
  customField: string | null;
  variationAttributes: AttributeCombination[];
  listingType: string;
  quantity: number;
  unitPrice: number;
  fullUnitPrice: number;
  currency: string;
  saleFee: number;
  status: OrderStatus;
  statusDetail: string | null;
  packId: number;
  shipmentId: number | null;
  payments: PaymentRec[];
  tags: string[];
  cancelDetail: CancelDetail | null;
  /** Stock was taken when the order became paid; needed to give it back on cancel. */
  stockTaken: boolean;
  created: number;
  closed: number | null;
  updated: number;
}

export type ShipmentStatus = "pending" | "handling" | "ready_to_ship" | "shipped" | "delivered" | "not_delivered" | "cancelled";

export interface ShipmentRec {
  id: number;
  orderId: number;
  sellerId: number;
  buyerId: number;
  status: ShipmentStatus;
  substatus: string | null;
  logisticType: string;
  mode: string;
  trackingNumber: string | null;
  declaredValue: number;
  created: number;
  updated: number;
}

export type QuestionStatus = "UNANSWERED" | "ANSWERED" | "CLOSED_UNANSWERED" | "UNDER_REVIEW" | "BANNED" | "DELETED" | "DISABLED";

export interface QuestionRec {
  id: number;
  itemId: string;
  sellerId: number;
  buyerId: number;
  text: string;
  status: QuestionStatus;
  answer: { text: string; status: "ACTIVE" | "DISABLED" | "BANNED"; created: number } | null;
  created: number;
  updated: number;
}

export interface ClaimRec {
  id: number;
  orderId: number;
  sellerId: number;
  buyerId: number;
  status: "opened" | "closed";
  type: string;
  stage: string;
  reasonId: string;
  resolution: { reason: string; date: number; benefited: string[]; closed_by: string } | null;
  created: number;
  updated: number;
}

export interface UserRec {
  id: number;
  nickname: string;
  firstName: string;
  lastName: string;
  email: string;
  /** Sellers own listings; buyers only buy; operators (collaborators) cannot grant OAuth access. */
  kind: "seller" | "buyer" | "operator";
  registered: number;
  city: string;
  state: string;
}

export interface AuthCodeRec {
  code: string;
  userId: number;
  clientId: string;
  redirectUri: string;
  challenge: string | null;
  challengeMethod: "S256" | "plain" | null;
  expires: number;
  used: boolean;
}

export interface AccessTokenRec {
  token: string;
  userId: number;
  clientId: string;
  expires: number;
  /** Grant chain this token belongs to; revoking a grant kills its tokens. */
  grantId: string;
}

export interface RefreshTokenRec {
  token: string;
  userId: number;
  clientId: string;
  expires: number;
  grantId: string;
}

export interface MissedFeed {
  _id: string;
  resource: string;
  user_id: number;
  topic: string;
  application_id: number;
  attempts: number;
  sent: string;
  received: string;
  request: { url: string; headers: Record<string, string | number>; data: string };
  response: { req_time: number; http_code: number | null; body: string; headers: Record<string, string> };
  /** Internal: when it entered the feed, for the 2-day retention. */
  failedAt: number;
}

export interface NotificationRec {
  id: string;
  topic: string;
  resource: string;
  userId: number;
  received: number;
  deliveryId: string | null;
  /** Why it was not sent: no callback configured or topic not subscribed. */
  skipped: string | null;
}
