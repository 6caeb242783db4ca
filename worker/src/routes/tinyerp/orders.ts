import { createRouter } from "../../lib/router";
import { getOrderPush, listPushes, pushOrder, resendPush, setMlChannel } from "../../services/tinyerp-orders";
import { getOrderPushRoute, listOrderPushesRoute, pushOrderRoute, resendOrderPushRoute, setMlChannelRoute } from "./orders.routes";
import { toLiveTinyOrderDto, toOrderPushDto } from "./orders.schemas";

export const tinyerpOrdersRouter = createRouter()
  .openapi(pushOrderRoute, async (c) => {
    const result = await pushOrder(c.get("services"), c.get("principal"), c.req.valid("json"));
    return c.json(toOrderPushDto(result.push, result.inProgress), result.inProgress ? 202 : 200);
  })
  .openapi(listOrderPushesRoute, async (c) => {
    const query = c.req.valid("query");
    const page = await listPushes(c.get("services"), c.get("principal"), query);
    return c.json({ items: page.items.map((push) => toOrderPushDto(push)), pagination: { limit: query.limit, offset: query.offset, total: page.total } }, 200);
  })
  .openapi(resendOrderPushRoute, async (c) => {
    const result = await resendPush(c.get("services"), c.get("principal"), c.req.valid("param").id);
    return c.json(toOrderPushDto(result.push, result.inProgress), result.inProgress ? 202 : 200);
  })
  .openapi(getOrderPushRoute, async (c) => {
    const view = await getOrderPush(c.get("services"), c.get("principal"), c.req.valid("param").id);
    return c.json({ ...toOrderPushDto(view.push), tiny: toLiveTinyOrderDto(view.tiny), tinyError: view.tinyError }, 200);
  })
  .openapi(setMlChannelRoute, async (c) => {
    const channelId = c.req.valid("json").channelId;
    const accountId = await setMlChannel(c.get("services"), c.get("principal"), c.req.valid("param").id, channelId);
    return c.json({ accountId, mlEcommerceChannelId: channelId }, 200);
  });
