import { toProblem } from "#core/errors";
import { createRouter } from "../../lib/router";
import {
  answerQuestion,
  getListingFor,
  getOrderFor,
  getShipmentFor,
  getShipmentLabel,
  getSyncRun,
  listClaimsFor,
  listListingsFor,
  listOrdersFor,
  listQuestionsFor,
  requestSync,
} from "../../services/ml-data";
import { SyncRunningError } from "#domain/sync/runs";
import {
  answerQuestionRoute,
  getListingRoute,
  getOrderRoute,
  getShipmentRoute,
  listClaimsRoute,
  listListingsRoute,
  listOrdersRoute,
  listQuestionsRoute,
  shipmentLabelRoute,
  startSyncRoute,
  syncRunRoute,
} from "./ml-data.routes";
import { toClaimDto, toListingDetailDto, toListingDto, toOrderDetailDto, toOrderDto, toQuestionDto, toShipmentDto, toSyncRunDto } from "./ml-data.schemas";

export const mlDataRouter = createRouter()
  .openapi(startSyncRoute, async (c) => {
    try {
      const started = await requestSync(c.get("services"), c.get("principal"), c.req.valid("param").id, c.req.valid("json"), c.get("requestId"));
      return c.json({ run: toSyncRunDto(started.run), jobId: started.jobId }, 202);
    } catch (error) {
      if (!(error instanceof SyncRunningError)) throw error;
      // The problem plus the live run's id, so a client can follow it instead of starting another.
      const response = c.json({ ...toProblem(error, c.get("requestId")), runId: error.run.id }, 409, { location: `/ml/sync/runs/${error.run.id}` });
      response.headers.set("content-type", "application/problem+json");
      return response;
    }
  })
  .openapi(syncRunRoute, async (c) => {
    const run = await getSyncRun(c.get("services"), c.get("principal"), c.req.valid("param").id);
    return c.json(toSyncRunDto(run), 200);
  })
  .openapi(listListingsRoute, async (c) => {
    const result = await listListingsFor(c.get("services"), c.get("principal"), c.req.valid("query"));
    return c.json({ items: result.items.map(toListingDto), nextCursor: result.nextCursor }, 200);
  })
  .openapi(getListingRoute, async (c) => {
    const found = await getListingFor(c.get("services"), c.get("principal"), c.req.valid("param").id, c.req.valid("query").refresh);
    return c.json(toListingDetailDto(found), 200);
  })
  .openapi(listOrdersRoute, async (c) => {
    const result = await listOrdersFor(c.get("services"), c.get("principal"), c.req.valid("query"));
    return c.json({ items: result.items.map(toOrderDto), nextCursor: result.nextCursor }, 200);
  })
  .openapi(getOrderRoute, async (c) => {
    const found = await getOrderFor(c.get("services"), c.get("principal"), c.req.valid("param").id);
    return c.json(toOrderDetailDto(found), 200);
  })
  .openapi(listQuestionsRoute, async (c) => {
    const result = await listQuestionsFor(c.get("services"), c.get("principal"), c.req.valid("query"));
    return c.json({ items: result.items.map(toQuestionDto), nextCursor: result.nextCursor }, 200);
  })
  .openapi(answerQuestionRoute, async (c) => {
    const question = await answerQuestion(c.get("services"), c.get("principal"), Number(c.req.valid("param").id), c.req.valid("json").text);
    return c.json(toQuestionDto(question), 200);
  })
  .openapi(listClaimsRoute, async (c) => {
    const result = await listClaimsFor(c.get("services"), c.get("principal"), c.req.valid("query"));
    return c.json({ items: result.items.map(toClaimDto), nextCursor: result.nextCursor }, 200);
  })
  .openapi(getShipmentRoute, async (c) => {
    const shipment = await getShipmentFor(c.get("services"), c.get("principal"), Number(c.req.valid("param").id), c.req.valid("query").refresh);
    return c.json(toShipmentDto(shipment), 200);
  })
  .openapi(shipmentLabelRoute, async (c) => {
    const label = await getShipmentLabel(c.get("services"), c.get("principal"), Number(c.req.valid("param").id), c.req.valid("query").format);
    c.header("cache-control", "no-store");
    return c.body(label.bytes as Uint8Array<ArrayBuffer>, 200, { "content-type": label.contentType });
  });
