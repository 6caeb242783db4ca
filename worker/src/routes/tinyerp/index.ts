import { toProblem } from "#core/errors";
import { createRouter } from "../../lib/router";
import { tinyerpCustomersRouter } from "./customers";
import { tinyerpFinanceRouter } from "./finance";
import { tinyerpShippingRouter } from "./shipping";
import { tinyerpOrdersRouter } from "./orders";
import { tinyerpSettingsSyncRouter } from "./settings-sync";
import { ProductSyncRunningError } from "#domain/sync/runs";
import { getProductSyncRun, requestProductSync } from "../../services/tinyerp-products-sync";
import { productSyncRunRoute, startProductSyncRoute } from "./products-sync.routes";
import { toProductSyncRunDto } from "./products-sync.schemas";
import {
  accountEvents,
  completeConnect,
  connectRedirect,
  disconnectAccount,
  getInventory,
  getProductLinks,
  listAccounts,
  listProducts,
  putProductLinks,
  receiveConnectCallback,
  startConnect,
} from "../../services/tinyerp";
import {
  accountEventsRoute,
  callbackRoute,
  completeConnectRoute,
  connectRoute,
  deleteAccountRoute,
  getLinksRoute,
  inventoryRoute,
  listAccountsRoute,
  productsRoute,
  putLinksRoute,
} from "./tinyerp.routes";
import { toInventoryEntryDto, toProductLinkDto, toTinyAccountDto, toTinyAccountEventDto, toTinyProductDto, toUnlinkedDto } from "./tinyerp.schemas";

export const tinyerpRouter = createRouter()
  .openapi(connectRoute, async (c) => {
    const started = await startConnect(c.get("services"), c.get("principal"));
    c.header("cache-control", "no-store");
    return c.json(started, 200);
  })
  .openapi(callbackRoute, async (c) => {
    const services = c.get("services");
    const outcome = await receiveConnectCallback(services, c.req.valid("query"));
    c.header("cache-control", "no-store");
    // The code and state must not travel onward in the Referer of the dashboard page.
    c.header("referrer-policy", "no-referrer");
    return c.redirect(connectRedirect(services, outcome), 302);
  })
  .openapi(completeConnectRoute, async (c) => {
    const completed = await completeConnect(c.get("services"), c.get("principal"), c.req.valid("json").grant);
    return c.json(toTinyAccountDto(completed.account), completed.result === "connected" ? 201 : 200);
  })
  .openapi(listAccountsRoute, async (c) => {
    const accounts = await listAccounts(c.get("services"), c.get("principal"));
    return c.json({ items: accounts.map(toTinyAccountDto) }, 200);
  })
  .openapi(accountEventsRoute, async (c) => {
    const events = await accountEvents(c.get("services"), c.get("principal"), c.req.valid("param").id, c.req.valid("query").limit);
    return c.json({ items: events.map(toTinyAccountEventDto) }, 200);
  })
  .openapi(deleteAccountRoute, async (c) => {
    await disconnectAccount(c.get("services"), c.get("principal"), c.req.valid("param").id);
    return c.body(null, 204);
  })
  .openapi(productsRoute, async (c) => {
    const page = await listProducts(c.get("services"), c.get("principal"), c.req.valid("query"));
    return c.json({ accountId: page.accountId, items: page.items.map(toTinyProductDto), pagination: page.pagination }, 200);
  })
  .openapi(startProductSyncRoute, async (c) => {
    try {
      const started = await requestProductSync(c.get("services"), c.get("principal"), c.req.valid("json"), c.get("requestId"));
      return c.json({ run: toProductSyncRunDto(started.run), jobId: started.jobId }, 202);
    } catch (error) {
      if (!(error instanceof ProductSyncRunningError)) throw error;
      // The live run's id, so a client follows it instead of starting another.
      const response = c.json({ ...toProblem(error, c.get("requestId")), runId: error.run.id }, 409, { location: `/tinyerp/products/sync/runs/${error.run.id}` });
      response.headers.set("content-type", "application/problem+json");
      return response;
    }
  })
  .openapi(productSyncRunRoute, async (c) => {
    const run = await getProductSyncRun(c.get("services"), c.get("principal"), c.req.valid("param").id);
    return c.json(toProductSyncRunDto(run), 200);
  })
  .openapi(getLinksRoute, async (c) => {
    const page = await getProductLinks(c.get("services"), c.get("principal"), c.req.valid("query"));
    return c.json({ items: page.links.map(toProductLinkDto), total: page.total, unlinked: page.unlinked.map(toUnlinkedDto), unlinkedTotal: page.unlinkedTotal }, 200);
  })
  .openapi(putLinksRoute, async (c) => {
    const results = await putProductLinks(c.get("services"), c.get("principal"), c.req.valid("json").links);
    return c.json({ items: results.map((r) => ({ ...r, link: r.link ? toProductLinkDto(r.link) : null })) }, 200);
  })
  .openapi(inventoryRoute, async (c) => {
    const inventory = await getInventory(c.get("services"), c.get("principal"), c.req.valid("query"));
    return c.json({ accountId: inventory.accountId, items: inventory.items.map(toInventoryEntryDto), pagination: inventory.page }, 200);
  });

tinyerpRouter.route("/", tinyerpOrdersRouter);
tinyerpRouter.route("/", tinyerpSettingsSyncRouter);
tinyerpRouter.route("/", tinyerpShippingRouter);
tinyerpRouter.route("/", tinyerpCustomersRouter);
tinyerpRouter.route("/", tinyerpFinanceRouter);
