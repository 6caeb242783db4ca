import type { Context, Hono } from "hono";
import { z } from "zod";
import { mountCommonControl, readJson } from "../common/control";
import type { CallCounters } from "../common/counters";
import type { FaultInjector } from "../common/faults";
import type { Clock } from "../common/clock";
import type { TinyContext } from "./context";
import { TinyError, errorBody } from "./http";
import { emitInvoice, getInvoice } from "./invoices";
import type { OAuthServer } from "./oauth";
import { SITUACOES, createOrder, getOrder, setOrderStatus, type CreateOrderInput } from "./orders";
import { createProduct } from "./products";
import type { QuotaTracker } from "./quotas";
import { totalSaldo } from "./state";
import { findDeposit, postMovement, stockView } from "./stock";
import { orderWebhookData, type TinyWebhooks } from "./webhooks";

// /_sandbox: test and demo levers, deliberately outside /public-api/v3 so no client can reach them
// by accident. Every mutation goes through the same domain functions as the API, so it emits the
// webhooks Tiny would emit for the same change made in the ERP panel.

export interface ControlParts {
  ctx: TinyContext;
  oauth: OAuthServer;
  quotas: QuotaTracker;
  faults: FaultInjector;
  counters: CallCounters;
  webhooks: TinyWebhooks;
  clock: Clock;
  /** Rebuilds the account from a seed (same seed when omitted). */
  reset(opts?: { seed?: number; products?: number; skus?: string[] }): void;
}

const fail = (c: Context, status: 400 | 404, message: string) => c.json({ error: status === 404 ? "not_found" : "invalid_request", message }, status);

/** Domain errors from shared functions keep Tiny's shape, so a control call shows what the API would say. */
async function guarded(c: Context, fn: () => Response | Promise<Response>): Promise<Response> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof TinyError) return c.json(errorBody(err), err.status);
    throw err;
  }
}

const situacaoInput = z.union([z.number().int(), z.string()]);

const stockSchema = z.object({
  idProduto: z.number().int().optional(),
  sku: z.string().optional(),
  deposito: z.number().int().optional(),
  tipo: z.enum(["B", "E", "S"]).default("B"),
  quantidade: z.number(),
  observacoes: z.string().optional(),
});

const productSchema = z.object({
  sku: z.string().min(1),
  descricao: z.string().optional(),
  tipo: z.enum(["S", "K", "V"]).default("S"),
  preco: z.number().optional(),
  precoPromocional: z.number().optional(),
  estoque: z.number().optional(),
  gtin: z.string().optional(),
  kit: z.array(z.object({ id: z.number().int().optional(), sku: z.string().optional(), quantidade: z.number() })).optional(),
  variacoes: z.array(z.object({ sku: z.string(), estoque: z.number().optional(), grade: z.record(z.string(), z.string()).optional() })).optional(),
});

const orderSchema = z
  .object({
    idContato: z.number().int().optional(),
    itens: z.array(z.object({ idProduto: z.number().int().optional(), sku: z.string().optional(), quantidade: z.number(), valorUnitario: z.number().optional() })).min(1),
    situacao: situacaoInput.optional(),
    numeroPedidoEcommerce: z.string().optional(),
    numeroOrdemCompra: z.string().optional(),
    marcadores: z.array(z.string()).optional(),
  })
  .loose();

export function registerControlRoutes(app: Hono, parts: ControlParts): void {
  const { ctx, oauth, quotas, faults, counters, webhooks, clock } = parts;
  mountCommonControl(app, { faults, counters, webhooks: webhooks.deliverer, clock });

  const productBy = (idProduto?: number, sku?: string) => {
    const id = idProduto ?? (sku !== undefined ? ctx.state.skuIndex.get(sku) : undefined);
    const p = id !== undefined ? ctx.state.products.get(id) : undefined;
    return p && p.situacao !== "E" ? p : undefined;
  };

  const situacaoOf = (v: number | string): number | undefined => {
    if (typeof v === "number") return v in SITUACOES ? v : undefined;
    const hit = Object.entries(SITUACOES).find(([, s]) => s.slug === v);
    return hit ? Number(hit[0]) : undefined;
  };

  app.get("/_sandbox", (c) =>
    c.json({
      sandbox: "tiny",
      account: { ...ctx.state.account },
      seed: ctx.state.seed,
      counts: { products: ctx.state.products.size, contacts: ctx.state.contacts.size, orders: ctx.state.orders.size, invoices: ctx.state.invoices.size, movements: ctx.state.movements.length },
      deposits: ctx.state.deposits,
      lookups: ctx.state.lookups,
      oauth: {
        clientId: oauth.settings.clientId,
        mode: oauth.settings.mode,
        accessTokenTtlSeconds: oauth.settings.accessTokenTtlSeconds,
        refreshTokenTtlSeconds: oauth.settings.refreshTokenTtlSeconds,
      },
      quotas: quotas.settings(),
      webhookUrl: webhooks.url(),
      apiBase: `${ctx.settings.baseUrl}/public-api/v3`,
    }),
  );

  app.post("/_sandbox/reset", (c) => {
    parts.reset();
    return c.json({ reset: true, seed: ctx.state.seed, products: ctx.state.products.size });
  });

  app.post("/_sandbox/seed", async (c) => {
    const body = await readJson(
      c,
      z.object({ seed: z.number().int().min(0).optional(), products: z.number().int().min(0).max(200_000).optional(), skus: z.array(z.string().min(1)).max(200_000).optional() }),
    );
    if (!body.ok) return body.res;
    if (body.data.skus && new Set(body.data.skus).size !== body.data.skus.length) return fail(c, 400, "skus must be unique");
    parts.reset(body.data);
    return c.json({ seed: ctx.state.seed, products: ctx.state.products.size, account: ctx.state.account });
  });

  app.put("/_sandbox/account", async (c) => {
    const body = await readJson(c, z.object({ disponivelSempreZero: z.boolean().optional() }));
    if (!body.ok) return body.res;
    if (body.data.disponivelSempreZero !== undefined) ctx.state.account.disponivelSempreZero = body.data.disponivelSempreZero;
    ctx.changed();
    return c.json(ctx.state.account);
  });

  app.post("/_sandbox/stock", async (c) => {
    const body = await readJson(c, stockSchema);
    if (!body.ok) return body.res;
    const p = productBy(body.data.idProduto, body.data.sku);
    if (!p) return fail(c, 404, "product not found (give idProduto or sku)");
    return guarded(c, () => {
      const dep = findDeposit(ctx.state, body.data.deposito, "deposito");
      const m = postMovement(ctx, {
        productId: p.id,
        depositId: dep.id,
        tipo: body.data.tipo,
        quantidade: body.data.quantidade,
        preco: 0,
        observacao: body.data.observacoes ?? "Ajuste pelo painel (sandbox)",
        origem: "sandbox",
        idOrigem: null,
      });
      return c.json({ idLancamento: m.id, idProduto: p.id, sku: p.sku, saldo: totalSaldo(ctx.state, p.id), estoque: stockView(ctx, p) });
    });
  });

  app.get("/_sandbox/movements", (c) => {
    const id = c.req.query("idProduto");
    const rows = id ? ctx.state.movements.filter((m) => m.idProduto === Number(id)) : ctx.state.movements;
    return c.json(rows);
  });

  app.post("/_sandbox/products", async (c) => {
    const body = await readJson(c, productSchema);
    if (!body.ok) return body.res;
    const d = body.data;
    return guarded(c, () => {
      const kit = (d.kit ?? []).map((k, i) => {
        const comp = productBy(k.id, k.sku);
        if (!comp) throw new TinyError(400, `kit[${i}]: product not found`);
        return { produto: { id: comp.id }, quantidade: k.quantidade };
      });
      const input = {
        sku: d.sku,
        descricao: d.descricao ?? `Produto ${d.sku}`,
        tipo: d.tipo,
        gtin: d.gtin ?? null,
        precos: { preco: d.preco ?? 0, precoPromocional: d.precoPromocional ?? 0, precoCusto: null },
        estoque: { controlar: true, sobEncomenda: false, inicial: d.estoque ?? 0 },
        kit: d.tipo === "K" ? kit : null,
        variacoes: d.variacoes?.map((v) => ({ sku: v.sku, estoque: { inicial: v.estoque ?? 0 }, grade: Object.entries(v.grade ?? {}).map(([chave, valor]) => ({ chave, valor })) })) ?? null,
      };
      const { product, variations } = createProduct(ctx, input);
      return c.json({ id: product.id, sku: product.sku, variacoes: variations.map((v) => ({ id: v.id, sku: v.sku })) }, 201);
    });
  });

  app.post("/_sandbox/orders", async (c) => {
    const body = await readJson(c, orderSchema);
    if (!body.ok) return body.res;
    const d = body.data;
    return guarded(c, () => {
      const idContato = d.idContato ?? ctx.state.contacts.keys().next().value;
      if (idContato === undefined) throw new TinyError(400, "no contact in the account");
      const itens = d.itens.map((it, i) => {
        const p = productBy(it.idProduto, it.sku);
        if (!p) throw new TinyError(400, `itens[${i}]: product not found`);
        return { produto: { id: p.id }, quantidade: it.quantidade, valorUnitario: it.valorUnitario ?? p.precos.preco };
      });
      const situacao = d.situacao !== undefined ? situacaoOf(d.situacao) : 0;
      if (situacao === undefined) throw new TinyError(400, "unknown situacao");
      const channel = ctx.state.lookups.ecommerces[0];
      const input: CreateOrderInput = {
        idContato,
        itens,
        situacao,
        numeroOrdemCompra: d.numeroOrdemCompra ?? null,
        ecommerce: d.numeroPedidoEcommerce && channel ? { id: channel.id, numeroPedidoEcommerce: d.numeroPedidoEcommerce } : null,
      };
      const order = createOrder(ctx, input, { skipDuplicateCheck: true });
      if (d.marcadores) order.marcadores = [...new Set(d.marcadores)];
      return c.json({ id: order.id, numeroPedido: String(order.numeroPedido) }, 201);
    });
  });

  app.post("/_sandbox/orders/:id/situacao", async (c) => {
    const body = await readJson(c, z.object({ situacao: situacaoInput }));
    if (!body.ok) return body.res;
    return guarded(c, () => {
      const order = getOrder(ctx.state, Number(c.req.param("id")));
      const situacao = situacaoOf(body.data.situacao);
      if (situacao === undefined) throw new TinyError(400, "unknown situacao");
      setOrderStatus(ctx, order, situacao);
      return c.json(orderWebhookData(ctx, order));
    });
  });

  app.post("/_sandbox/notas/:id/emitir", (c) =>
    guarded(c, () => {
      const nota = getInvoice(ctx.state, Number(c.req.param("id")));
      emitInvoice(ctx, nota);
      return c.json({ id: nota.id, situacao: nota.situacao, chaveAcesso: nota.chaveAcesso });
    }),
  );

  app.get("/_sandbox/quotas", (c) => c.json({ settings: quotas.settings(), usage: quotas.peek(ctx.state.account.id) }));
  app.put("/_sandbox/quotas", async (c) => {
    const body = await readJson(
      c,
      z.object({
        enabled: z.boolean().optional(),
        readPerMinute: z.number().int().min(0).optional(),
        writePerMinute: z.number().int().min(0).optional(),
        burstPerSecond: z.number().int().min(1).nullable().optional(),
      }),
    );
    if (!body.ok) return body.res;
    return c.json(quotas.configure(body.data));
  });
  app.delete("/_sandbox/quotas/usage", (c) => {
    quotas.reset();
    return c.json({ settings: quotas.settings(), usage: quotas.peek(ctx.state.account.id) });
  });

  app.get("/_sandbox/oauth", (c) => c.json({ ...oauth.settings, clientSecret: undefined, sessions: [...ctx.state.oauthSessions.values()].filter((s) => s.active).length }));
  app.put("/_sandbox/oauth", async (c) => {
    const body = await readJson(
      c,
      z.object({ mode: z.enum(["approve", "deny", "page"]).optional(), accessTokenTtlSeconds: z.number().int().min(1).optional(), refreshTokenTtlSeconds: z.number().int().min(1).optional() }),
    );
    if (!body.ok) return body.res;
    Object.assign(oauth.settings, body.data);
    return c.json({ ...oauth.settings, clientSecret: undefined });
  });
  app.post("/_sandbox/oauth/token", async (c) => c.json(await oauth.issueTokens()));
  app.post("/_sandbox/oauth/revoke", (c) => {
    oauth.revokeAll();
    return c.json({ revoked: true });
  });

  app.put("/_sandbox/webhooks/target", async (c) => {
    const body = await readJson(c, z.object({ url: z.string().url().nullable() }));
    if (!body.ok) return body.res;
    webhooks.setUrl(body.data.url);
    return c.json({ url: webhooks.url() });
  });
  app.post("/_sandbox/webhooks/emit", async (c) => {
    const body = await readJson(
      c,
      z.object({ tipo: z.enum(["estoque", "inclusao_pedido", "atualizacao_pedido"]), idProduto: z.number().int().optional(), sku: z.string().optional(), idPedido: z.number().int().optional() }),
    );
    if (!body.ok) return body.res;
    const d = body.data;
    if (!webhooks.url()) return fail(c, 400, "no webhook URL configured");
    if (d.tipo === "estoque") {
      const p = productBy(d.idProduto, d.sku);
      if (!p) return fail(c, 404, "product not found");
      return c.json(webhooks.emit(ctx, "estoque", { idProduto: p.id, sku: p.sku, nome: p.descricao, saldo: totalSaldo(ctx.state, p.id) }));
    }
    const order = d.idPedido !== undefined ? ctx.state.orders.get(d.idPedido) : undefined;
    if (!order) return fail(c, 404, "order not found");
    return c.json(webhooks.emit(ctx, d.tipo, orderWebhookData(ctx, order)));
  });

  app.get("/_sandbox/danfe/:id", (c) => {
    const nota = ctx.state.invoices.get(Number(c.req.param("id")));
    if (!nota) return fail(c, 404, "invoice not found");
    return c.html(
      `<!doctype html><html lang="pt-BR"><head><meta charset="utf-8"><title>DANFE ${nota.numero}</title></head><body><h1>DANFE (sandbox)</h1><p>NF-e nº ${nota.numero} série ${nota.serie}</p><p>Chave: ${nota.chaveAcesso}</p><p>Valor: R$ ${nota.valor.toFixed(2)}</p></body></html>`,
    );
  });

  app.get("/_sandbox/etiquetas/:grupo/:file", (c) => {
    // A one-page PDF is enough for clients that download and forward labels.
    const text = `Etiqueta sandbox ${c.req.param("grupo")}/${c.req.param("file")}`;
    const pdf = `%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 288 432]/Contents 4 0 R/Resources<</Font<</F1 5 0 R>>>>>>endobj\n4 0 obj<</Length ${text.length + 30}>>stream\nBT /F1 10 Tf 20 400 Td (${text}) Tj ET\nendstream endobj\n5 0 obj<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n`;
    return c.body(pdf, 200, { "Content-Type": "application/pdf" });
  });
}
