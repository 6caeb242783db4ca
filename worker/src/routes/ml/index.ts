import { createRouter } from "../../lib/router";
import { accountEvents, completeConnect, connectRedirect, disconnectAccount, listAccounts, receiveConnectCallback, refreshAccount, startConnect } from "../../services/ml-accounts";
import { accountEventsRoute, callbackRoute, completeConnectRoute, deleteAccountRoute, listAccountsRoute, refreshAccountRoute, startConnectRoute } from "./ml.routes";
import { toMlAccountDto, toMlAccountEventDto } from "./ml.schemas";

export const mlRouter = createRouter()
  .openapi(startConnectRoute, async (c) => {
    const query = c.req.valid("query");
    const started = await startConnect(c.get("services"), c.get("principal"), { site: query.site });
    c.header("cache-control", "no-store");
    if (query.redirect) return c.redirect(started.url, 302);
    return c.json(started, 200);
  })
  .openapi(callbackRoute, async (c) => {
    const services = c.get("services");
    const outcome = await receiveConnectCallback(services, c.req.valid("query"));
    c.header("cache-control", "no-store");
    // The code and state must not leak onward through the Referer of the dashboard page.
    c.header("referrer-policy", "no-referrer");
    return c.redirect(connectRedirect(services, outcome), 302);
  })
  .openapi(completeConnectRoute, async (c) => {
    const completed = await completeConnect(c.get("services"), c.get("principal"), c.req.valid("json").grant);
    return c.json(toMlAccountDto(completed.account), completed.result === "connected" ? 201 : 200);
  })
  .openapi(listAccountsRoute, async (c) => {
    const accounts = await listAccounts(c.get("services"), c.get("principal"));
    return c.json({ items: accounts.map(toMlAccountDto) }, 200);
  })
  .openapi(accountEventsRoute, async (c) => {
    const events = await accountEvents(c.get("services"), c.get("principal"), c.req.valid("param").id, c.req.valid("query").limit);
    return c.json({ items: events.map(toMlAccountEventDto) }, 200);
  })
  .openapi(deleteAccountRoute, async (c) => {
    await disconnectAccount(c.get("services"), c.get("principal"), c.req.valid("param").id, { purge: c.req.valid("query").purge });
    return c.body(null, 204);
  })
  .openapi(refreshAccountRoute, async (c) => {
    const account = await refreshAccount(c.get("services"), c.get("principal"), c.req.valid("param").id);
    return c.json(toMlAccountDto(account), 200);
  });
