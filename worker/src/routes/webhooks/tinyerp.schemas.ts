import { z } from "@hono/zod-openapi";
import { tinyWebhookEnvelope } from "../../services/tinyerp-webhooks";

export const TinyWebhookParams = z.object({
  secret: z.string().openapi({
    param: { name: "secret", in: "path" },
    description: "The account's webhook secret (43 characters, base64url), from POST /tinyerp/accounts/{id}/webhook",
  }),
});

export const TinyWebhookAckSchema = z
  .object({
    status: z.enum(["accepted", "ignored"]),
    messageId: z.string().optional().openapi({ description: "QStash message id (accepted only)" }),
    reason: z.enum(["ping", "reauth_required", "disconnected"]).optional().openapi({ description: "Why nothing was queued: the panel's empty check, or an account that must be reconnected first" }),
  })
  .openapi("TinyWebhookAck");

export const TinyWebhookProbeSchema = z.object({ status: z.literal("ok") }).openapi("TinyWebhookProbe");

/** Documentation only: the handler parses the raw body itself, since an empty body is a valid ping. */
export const TinyWebhookEnvelopeDoc = tinyWebhookEnvelope.openapi("TinyWebhookEnvelope", {
  example: { versao: "1.0.1", cnpj: "59573950000158", tipo: "estoque", dados: { idProduto: 357281337, sku: "CAM-AZ-M", nome: "Camiseta Azul M", saldo: 8 } },
});
