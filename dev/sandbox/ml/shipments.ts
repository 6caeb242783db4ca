import type { Hono } from "hono";
import { requireUser } from "./auth";
import type { MlContext } from "./context";
import { badRequest, mlError } from "./errors";
import { buildLabelPdf, buildZip, buildZpl } from "./labels";
import { renderShipment } from "./render";

const PRINTABLE_TYPES = new Set(["drop_off", "xd_drop_off", "cross_docking", "self_service"]);
export const LABELS_MAX_SHIPMENTS = 50;

export function registerShipmentRoutes(app: Hono, ctx: MlContext): void {
  app.get("/shipments/:id", (c) => {
    const caller = requireUser(ctx, c);
    if (caller instanceof Response) return caller;
    const s = ctx.state.shipments.get(Number(c.req.param("id")));
    if (!s) return mlError(c, 404, "not_found", `Shipment ${c.req.param("id")} not found`);
    if (s.sellerId !== caller && s.buyerId !== caller) return mlError(c, 403, "forbidden", "The caller is not authorized to access this shipment");
    const order = ctx.state.orders.get(s.orderId);
    // The buyer's address only appears once the order is paid.
    const visible = order?.status === "paid";
    return c.json(renderShipment(s, ctx.state.users.get(s.buyerId), visible, c.req.header("x-format-new") === "true"));
  });

  app.get("/shipment_labels", (c) => {
    const caller = requireUser(ctx, c);
    if (caller instanceof Response) return caller;
    const ids = (c.req.query("shipment_ids") ?? "")
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean);
    if (ids.length === 0) return badRequest(c, "shipment_ids is required");
    if (ids.length > LABELS_MAX_SHIPMENTS) return badRequest(c, `Too many shipment_ids; the maximum is ${LABELS_MAX_SHIPMENTS}`);
    const type = c.req.query("response_type") ?? (c.req.query("savePdf") === "Y" ? "pdf" : "pdf");
    if (type !== "pdf" && type !== "zpl2") return badRequest(c, "response_type must be pdf or zpl2");
    const failed: Array<{ shipment_id: number; message: string }> = [];
    const printable = [];
    for (const raw of ids) {
      const s = ctx.state.shipments.get(Number(raw));
      if (!s || s.sellerId !== caller) {
        failed.push({ shipment_id: Number(raw), message: "Shipment not found or not owned by the caller" });
      } else if (s.mode !== "me2" || !PRINTABLE_TYPES.has(s.logisticType)) {
        failed.push({ shipment_id: s.id, message: `Labels are not available for logistic type ${s.logisticType}` });
      } else if (s.status !== "ready_to_ship" || (s.substatus !== "ready_to_print" && s.substatus !== "printed")) {
        failed.push({ shipment_id: s.id, message: `Shipment status ${s.status}/${s.substatus ?? "-"} is not printable` });
      } else printable.push(s);
    }
    if (failed.length > 0) return c.json({ failed_shipments: failed }, 400);
    const now = ctx.clock.now();
    const pages = printable.map((s) => {
      const buyer = ctx.state.users.get(s.buyerId);
      return [`MERCADO ENVIOS - SANDBOX`, `Envio ${s.id}`, `Pedido ${s.orderId}`, `Destinatario: ${buyer ? `${buyer.firstName} ${buyer.lastName}` : s.buyerId}`, `Rua das Flores 123 - CEP 01310-100`];
    });
    // Downloading the label is what marks the shipment printed on ML.
    for (const s of printable) {
      if (s.substatus !== "printed") {
        s.substatus = "printed";
        s.updated = now;
        ctx.notify.emit("shipments", `/shipments/${s.id}`, s.sellerId);
      }
    }
    ctx.state.onChange();
    if (type === "pdf") {
      const pdf = buildLabelPdf(pages);
      return c.body(new Uint8Array(pdf), 200, { "Content-Type": "application/pdf", "Content-Disposition": 'attachment; filename="Etiqueta_de_envio.pdf"' });
    }
    const zip = buildZip("Etiqueta de envio.txt", Buffer.from(buildZpl(pages), "utf8"));
    return c.body(new Uint8Array(zip), 200, { "Content-Type": "application/zip", "Content-Disposition": 'attachment; filename="Etiqueta_de_envio.zip"' });
  });
}
