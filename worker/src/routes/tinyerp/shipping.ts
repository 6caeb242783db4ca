import { createRouter } from "../../lib/router";
import { getShippingLabel, listShippingGroups } from "../../services/tinyerp-shipping";
import { shippingGroupsRoute, shippingLabelRoute } from "./shipping.routes";
import { toShippingGroupPageDto, toTinyShippingLabelDto } from "./shipping.schemas";

export const tinyerpShippingRouter = createRouter()
  .openapi(shippingGroupsRoute, async (c) => {
    const { accountId, page } = await listShippingGroups(c.get("services"), c.get("principal"), c.req.valid("query"));
    return c.json(toShippingGroupPageDto(accountId, page), 200);
  })
  .openapi(shippingLabelRoute, async (c) => {
    const label = await getShippingLabel(c.get("services"), c.get("principal"), c.req.valid("param").id, c.req.valid("query").format);
    c.header("cache-control", "no-store");
    c.header("x-label-source", label.source);
    if (label.source === "tiny") return c.json(toTinyShippingLabelDto(label), 200);
    return c.body(label.bytes as Uint8Array<ArrayBuffer>, 200, { "content-type": label.contentType, "content-disposition": `attachment; filename="${label.filename}"` });
  });
