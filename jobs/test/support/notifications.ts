/** ML notification bodies shaped like mercadolibre-api.md §5.1's examples. */
export function orderNotification(overrides: Record<string, unknown> = {}) {
  return {
    _id: "f9f08571-1f65-4c46-9e0a-c0f43faa1557e",
    resource: "/orders/2195160686",
    user_id: 468424240,
    topic: "orders_v2",
    application_id: 5503910054141466,
    attempts: 1,
    sent: "2019-10-30T16:19:20.129Z",
    received: "2019-10-30T16:19:20.106Z",
    ...overrides,
  };
}

export function messageNotification(overrides: Record<string, unknown> = {}) {
  return {
    id: "5e2827f2-99b7-474e-b68b-6a86e934cc7e",
    resource: "3f6da1e35ac84f70a24af7360d24c7bc",
    user_id: "123456789",
    topic: "messages",
    actions: ["created"],
    application_id: 89745685555,
    attempts: 1,
    sent: "2017-10-09T13:44:33.006Z",
    recieved: "2017-10-09T13:44:32.984Z",
    ...overrides,
  };
}
