import { describe, expect, it } from "vitest";
import { ingressSchema, jobNames, jobs, queueNames } from "#core/jobs/catalog";
import { jobIdFor } from "#core/jobs/job-id";
import { mlNotification, mlNotificationKey, mlNotificationWire } from "#core/jobs/ml-notification";
import { messageNotification, orderNotification } from "./support/notifications";

describe("job catalog", () => {
  it("puts every job on a known queue with bounded retention and jittered backoff", () => {
    for (const name of jobNames) {
      const { queue, options } = jobs[name];
      expect(queueNames).toContain(queue);
      expect(options.attempts).toBeGreaterThan(1);
      expect(options.backoff.jitter).toBeGreaterThan(0);
      expect(options.removeOnComplete.count).toBeGreaterThan(0);
      expect(options.removeOnFail.count).toBeGreaterThan(0);
    }
  });

  it("normalises the general-topic notification model", () => {
    const parsed = mlNotificationWire.parse(orderNotification());
    expect(parsed).toEqual({
      notificationId: "f9f08571-1f65-4c46-9e0a-c0f43faa1557e",
      resource: "/orders/2195160686",
      userId: "468424240",
      topic: "orders_v2",
      applicationId: "5503910054141466",
      attempts: 1,
      sent: "2019-10-30T16:19:20.129Z",
      received: "2019-10-30T16:19:20.106Z",
      actions: [],
    });
    expect(mlNotification.parse(parsed)).toEqual(parsed);
  });

  it("tolerates the subtopic model: id instead of _id, string user_id, the 'recieved' typo", () => {
    const parsed = mlNotificationWire.parse(messageNotification());
    expect(parsed.notificationId).toBe("5e2827f2-99b7-474e-b68b-6a86e934cc7e");
    expect(parsed.userId).toBe("123456789");
    expect(parsed.received).toBe("2017-10-09T13:44:32.984Z");
    expect(parsed.actions).toEqual(["created"]);
    // Kept as sent: messages' resource is a bare id, not a path.
    expect(parsed.resource).toBe("3f6da1e35ac84f70a24af7360d24c7bc");
  });

  it("accepts a notification with neither _id nor id, and without attempts or received", () => {
    const { _id, attempts, received, ...rest } = orderNotification();
    void [_id, attempts, received];
    const parsed = mlNotificationWire.parse(rest);
    expect(parsed).toMatchObject({ notificationId: null, attempts: 1, received: null });
  });

  it("rejects notifications missing what a processor needs", () => {
    for (const broken of [orderNotification({ resource: "" }), orderNotification({ user_id: "abc" }), orderNotification({ topic: undefined }), orderNotification({ sent: "yesterday" })]) {
      expect(mlNotificationWire.safeParse(broken).success).toBe(false);
    }
    // The stored payload is strict: unexpected keys mean it did not come from the ingress.
    const canonical = mlNotificationWire.parse(orderNotification());
    expect(mlNotification.safeParse({ ...canonical, extra: 1 }).success).toBe(false);
  });

  it("keys a notification by its id, ignoring fields that change on ML's retries", () => {
    const first = mlNotificationWire.parse(orderNotification());
    const retry = mlNotificationWire.parse(orderNotification({ attempts: 3, received: "2019-10-30T16:25:00.000Z" }));
    expect(mlNotificationKey(first)).toBe(mlNotificationKey(retry));
    const withoutId = mlNotificationWire.parse(orderNotification({ _id: undefined }));
    const otherResource = mlNotificationWire.parse(orderNotification({ _id: undefined, resource: "/orders/1" }));
    expect(mlNotificationKey(withoutId)).not.toBe(mlNotificationKey(otherResource));
  });

  it("uses the wire schema at the boundary when a job declares one", () => {
    expect(ingressSchema("ml.webhook").parse(orderNotification()).userId).toBe("468424240");
  });

  it("derives stable jobIds that BullMQ accepts (no ':' and never all digits)", async () => {
    const a = await jobIdFor("ml.webhook", "id|x:y");
    expect(a).toBe(await jobIdFor("ml.webhook", "id|x:y"));
    expect(a).not.toBe(await jobIdFor("ml.webhook", "id|x:z"));
    expect(a).toMatch(/^ml\.webhook\.[0-9a-f]{40}$/);
  });
});
