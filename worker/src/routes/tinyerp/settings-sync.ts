import { createRouter } from "../../lib/router";
import { changeAccountSettings } from "../../services/tinyerp";
import { requestStockSync } from "../../services/tinyerp-stock-sync";
import { createWebhookUrl, removeWebhookUrl } from "../../services/tinyerp-webhooks";
import { accountSettingsRoute, createWebhookRoute, deleteWebhookRoute } from "./accounts-settings.routes";
import { inventorySyncRoute } from "./inventory-sync.routes";
import { toTinyAccountDto } from "./tinyerp.schemas";

/** Account settings, the account's Tiny webhook URL, and on-demand stock sync. */
export const tinyerpSettingsSyncRouter = createRouter()
  .openapi(accountSettingsRoute, async (c) => {
    const account = await changeAccountSettings(c.get("services"), c.get("principal"), c.req.valid("param").id, c.req.valid("json"));
    return c.json(toTinyAccountDto(account), 200);
  })
  .openapi(createWebhookRoute, async (c) => {
    const made = await createWebhookUrl(c.get("services"), c.get("principal"), c.req.valid("param").id);
    // The URL is a credential shown once: no cache may keep a copy.
    c.header("cache-control", "no-store");
    return c.json({ url: made.url, createdAt: made.createdAt.toISOString() }, 201);
  })
  .openapi(deleteWebhookRoute, async (c) => {
    await removeWebhookUrl(c.get("services"), c.get("principal"), c.req.valid("param").id);
    return c.body(null, 204);
  })
  .openapi(inventorySyncRoute, async (c) => {
    const started = await requestStockSync(c.get("services"), c.get("principal"), c.req.valid("json"), c.get("requestId"));
    return c.json(started, 202);
  });
