import { z } from "@hono/zod-openapi";

export const AccountSettingsBody = z
  .object({
    forwardOrders: z.boolean().optional().openapi({ description: "Push paid ML orders to this account automatically (default true)" }),
    invoiceOnPaid: z.boolean().optional().openapi({ description: "Generate and emit the NF-e when a pushed order is paid (default false: needs the company's certificate set up in Tiny)" }),
  })
  .strict()
  .refine((body) => body.forwardOrders !== undefined || body.invoiceOnPaid !== undefined, { message: "name at least one of forwardOrders, invoiceOnPaid" })
  .openapi("TinyAccountSettingsChange");

export const WebhookUrlSchema = z
  .object({
    url: z.string().url().openapi({ description: "Paste into Tiny: Configurações → Geral → Outras configurações → Webhooks. Shown only now; it is the credential" }),
    createdAt: z.string().datetime(),
  })
  .openapi("TinyWebhookUrl");
