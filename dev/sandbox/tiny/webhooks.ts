import { createWebhookDeliverer, type Delivery, type WebhookDeliverer } from "../common/webhooks";
import type { TinyContext, TinyEvents } from "./context";
import { isoToBr } from "./dates";
import { SITUACOES } from "./orders";
import { totalSaldo, type Order } from "./state";

// Tiny's account "Webhooks" extension: a 4-key envelope {versao, cnpj, tipo, dados}, unsigned,
// string ids and DD/MM/YYYY dates in order events, only the physical balance in stock events, and
// up to 10 retries on anything but HTTP 200, each 5 minutes later than the previous one.

export const TINY_RETRY_SCHEDULE_MS = Array.from({ length: 10 }, (_, i) => (i + 1) * 5 * 60_000);
export const WEBHOOK_VERSION = "1.0.1";

export type WebhookTipo = "estoque" | "inclusao_pedido" | "atualizacao_pedido";

export interface TinyWebhooks {
  deliverer: WebhookDeliverer;
  url(): string | null;
  setUrl(url: string | null): void;
  events(ctx: TinyContext): TinyEvents;
  /** Emits one envelope (control endpoints use it to replay what Tiny would send). */
  emit(ctx: TinyContext, tipo: WebhookTipo, dados: Record<string, unknown>): Delivery | null;
}

export interface TinyWebhookOptions {
  url?: string | null;
  timeScale?: number;
  seed: number;
  now: () => number;
}

export function orderWebhookData(ctx: TinyContext, o: Order): Record<string, unknown> {
  const cli = ctx.state.contacts.get(o.idContato);
  const sit = SITUACOES[o.situacao];
  return {
    id: String(o.id),
    numero: String(o.numeroPedido),
    data: isoToBr(o.data),
    idPedidoEcommerce: o.ecommerce.numeroPedidoEcommerce,
    codigoSituacao: sit?.slug ?? "",
    descricaoSituacao: sit?.descricao ?? "",
    idContato: String(o.idContato),
    idNotaFiscal: String(o.idNotaFiscal),
    nomeEcommerce: o.ecommerce.nome,
    cliente: { nome: cli?.nome ?? "", cpfCnpj: cli?.cpfCnpj ? cli.cpfCnpj : null },
    formaEnvio: { id: String(o.transportador.formaEnvio.id), descricao: o.transportador.formaEnvio.nome },
  };
}

export function createTinyWebhooks(opts: TinyWebhookOptions): TinyWebhooks {
  let target = opts.url ?? null;
  const deliverer = createWebhookDeliverer({
    seed: opts.seed,
    now: opts.now,
    retrySchedule: TINY_RETRY_SCHEDULE_MS,
    timeScale: opts.timeScale ?? 1,
    // The docs demand exactly 200; a 204 or 202 counts as a failure and is retried.
    isSuccess: (status) => status === 200,
  });

  const emit: TinyWebhooks["emit"] = (ctx, tipo, dados) => {
    if (!target) return null;
    return deliverer.send({
      url: target,
      body: { versao: WEBHOOK_VERSION, cnpj: ctx.state.account.cnpj, tipo, dados },
      meta: { tipo },
    });
  };

  return {
    deliverer,
    url: () => target,
    setUrl(url) {
      target = url;
    },
    emit,
    events(ctx) {
      return {
        stockChanged(productId) {
          const p = ctx.state.products.get(productId);
          if (!p) return;
          emit(ctx, "estoque", { idProduto: p.id, sku: p.sku, nome: p.descricao, saldo: totalSaldo(ctx.state, p.id) });
        },
        orderCreated(order) {
          emit(ctx, "inclusao_pedido", orderWebhookData(ctx, order));
        },
        orderUpdated(order) {
          emit(ctx, "atualizacao_pedido", orderWebhookData(ctx, order));
        },
      };
    },
  };
}
