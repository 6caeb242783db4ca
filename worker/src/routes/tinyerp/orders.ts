import { createRouter } from "../../lib/router";
import { getOrderPush, pushOrder } from "../../services/tinyerp-orders";
import { getOrderPushRoute, pushOrderRoute } from "./orders.routes";
import { toLiveTinyOrderDto, toOrderPushDto } from "./orders.schemas";

export const tinyerpOrdersRouter = createRouter()
  .openapi(pushOrderRoute, async (c) => {
    const result = await pushOrder(c.get("services"), c.get("principal"), c.req.valid("json"));
    return c.json(toOrderPushDto(result.push, result.inProgress), result.inProgress ? 202 : 200);
  })
  .openapi(getOrderPushRoute, async (c) => {
    const view = await getOrderPush(c.get("services"), c.get("principal"), c.req.valid("param").id);
    return c.json({ ...toOrderPushDto(view.push), tiny: toLiveTinyOrderDto(view.tiny), tinyError: view.tinyError }, 200);
  });
