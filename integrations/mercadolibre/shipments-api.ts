import { mlShipmentSchema, type MlShipment } from "./transform";
import { callParsed, callSignal, type MlCallOptions, type MlCaller } from "./wire";

/** Shipments and labels (mercadolibre-api.md §8). */

/** GET /shipments/{id} in the new format (`x-format-new`); the model also reads the old one some accounts still get. */
export async function getShipment(ml: MlCaller, shipmentId: number | string, options?: MlCallOptions): Promise<MlShipment> {
  return (await callParsed(ml, "GET", `/shipments/${shipmentId}`, mlShipmentSchema, { headers: { "x-format-new": "true" }, ...callSignal(options) })).data;
}

/**
 * GET /shipment_labels: the bytes as ML sent them, a PDF or a ZIP holding the ZPL file. ML
 * marks the shipment printed when its label is downloaded; a shipment with no printable label
 * answers 400.
 */
export async function getShipmentLabel(ml: MlCaller, shipmentId: number, format: "pdf" | "zpl", options?: MlCallOptions) {
  const response = await ml.request<Uint8Array>("GET", "/shipment_labels", {
    query: { shipment_ids: shipmentId, response_type: format === "pdf" ? "pdf" : "zpl2" },
    binary: true,
    ...callSignal(options),
  });
  return { bytes: response.data, contentType: response.headers.get("content-type") ?? (format === "pdf" ? "application/pdf" : "application/zip") };
}
