import { createRouter } from "../../lib/router";
import { getOrderReceivables, listReceivables } from "../../services/tinyerp-finance";
import { orderReceivablesRoute, receivablesRoute } from "./finance.routes";
import { toOrderReceivablesDto, toReceivableDto } from "./finance.schemas";

export const tinyerpFinanceRouter = createRouter()
  .openapi(receivablesRoute, async (c) => {
    const { accountId, page } = await listReceivables(c.get("services"), c.get("principal"), c.req.valid("query"));
    return c.json({ accountId, items: page.itens.map(toReceivableDto), pagination: page.paginacao }, 200);
  })
  .openapi(orderReceivablesRoute, async (c) => {
    const receivables = await getOrderReceivables(c.get("services"), c.get("principal"), c.req.valid("param").id);
    return c.json(toOrderReceivablesDto(receivables), 200);
  });
