import { createRouter } from "../../lib/router";
import { getMlCustomer, listCustomers, syncMlCustomer } from "../../services/tinyerp-customers";
import { customersRoute, mlCustomerRoute, syncCustomerRoute } from "./customers.routes";
import { toCustomerRowDto, toMlCustomerDto, toSyncResultDto } from "./customers.schemas";

export const tinyerpCustomersRouter = createRouter()
  .openapi(customersRoute, async (c) => {
    const page = await listCustomers(c.get("services"), c.get("principal"), c.req.valid("query"));
    return c.json({ accountId: page.accountId, items: page.items.map(toCustomerRowDto), pagination: page.pagination }, 200);
  })
  .openapi(mlCustomerRoute, async (c) => {
    const view = await getMlCustomer(c.get("services"), c.get("principal"), c.req.valid("param").buyerId, c.req.valid("query").accountId);
    return c.json(toMlCustomerDto(view), 200);
  })
  .openapi(syncCustomerRoute, async (c) => {
    const synced = await syncMlCustomer(c.get("services"), c.get("principal"), c.req.valid("json"));
    return c.json(toSyncResultDto(synced), synced.result === "created" ? 201 : 200);
  });
