import type { Hono } from "hono";
import { z } from "zod";
import type { TinyContext } from "./context";
import { isDateTime, spDateTime } from "./dates";
import { TinyError, notFound, pathId, readBody, validation } from "./http";
import { withBlanks } from "./variants";
import { allocateId, defaultDeposit, round, saldoIn, setSaldo, type Deposit, type Order, type Product, type StockMovement, type TinyState } from "./state";

// /estoque and /depositos. Semantics observed on the real API: B sets the absolute balance, E adds,
// S subtracts, nothing is de-duplicated (a blind retry moves stock twice), negative balances allowed.

/** Order states in which Tiny holds a reservation for items not yet posted to stock. */
const RESERVING = new Set([0, 3, 4, 7]);

export interface MovementInput {
  productId: number;
  depositId: number;
  tipo: "B" | "E" | "S";
  quantidade: number;
  preco: number;
  observacao: string;
  origem: StockMovement["origem"];
  idOrigem: number | null;
  data?: string;
}

export function postMovement(ctx: TinyContext, input: MovementInput): StockMovement {
  const { state } = ctx;
  const before = saldoIn(state, input.productId, input.depositId);
  const after = input.tipo === "B" ? input.quantidade : input.tipo === "E" ? before + input.quantidade : before - input.quantidade;
  setSaldo(state, input.productId, input.depositId, after);
  const movement: StockMovement = {
    id: allocateId(state),
    idProduto: input.productId,
    idDeposito: input.depositId,
    tipo: input.tipo,
    quantidade: input.quantidade,
    preco: input.preco,
    data: input.data ?? spDateTime(ctx.clock.now()),
    observacao: input.observacao,
    origem: input.origem,
    idOrigem: input.idOrigem,
    saldoAnterior: before,
    saldoPosterior: round(after),
  };
  state.movements.push(movement);
  ctx.changed();
  ctx.events.stockChanged(input.productId);
  return movement;
}

/** Reservations are derived from open orders, recomputed lazily after any order change. */
export class ReservationIndex {
  private cache: Map<number, Map<number, number>> | null = null;

  invalidate(): void {
    this.cache = null;
  }

  get(state: TinyState, productId: number, depositId: number): number {
    if (!this.cache) this.cache = this.build(state);
    return this.cache.get(productId)?.get(depositId) ?? 0;
  }

  private build(state: TinyState): Map<number, Map<number, number>> {
    const out = new Map<number, Map<number, number>>();
    for (const order of state.orders.values()) {
      if (!RESERVING.has(order.situacao) || order.estoqueLancado) continue;
      for (const { produtoId, quantidade } of expandItems(state, order.itens)) {
        let byDep = out.get(produtoId);
        if (!byDep) out.set(produtoId, (byDep = new Map()));
        byDep.set(order.depositoId, (byDep.get(order.depositoId) ?? 0) + quantidade);
      }
    }
    return out;
  }
}

/** Kits move their components, never themselves. */
export function expandItems(state: TinyState, items: Array<{ produtoId: number; quantidade: number }>): Array<{ produtoId: number; quantidade: number }> {
  const out: Array<{ produtoId: number; quantidade: number }> = [];
  for (const item of items) {
    const p = state.products.get(item.produtoId);
    if (p?.tipo === "K") for (const k of p.kit) out.push({ produtoId: k.produtoId, quantidade: round(k.quantidade * item.quantidade) });
    else out.push({ produtoId: item.produtoId, quantidade: item.quantidade });
  }
  return out;
}

interface DepositBalance {
  id: number;
  nome: string;
  desconsiderar: boolean;
  saldo: number;
  reservado: number;
  disponivel: number;
  empresa: string;
}

function depositBalances(ctx: TinyContext, reservations: ReservationIndex, p: Product): DepositBalance[] {
  const { state } = ctx;
  const zeroDisponivel = state.account.disponivelSempreZero;
  const balanceOf = (productId: number, dep: Deposit) => {
    const saldo = saldoIn(state, productId, dep.id);
    const reservado = dep.possuiReserva && !zeroDisponivel ? reservations.get(state, productId, dep.id) : 0;
    return { saldo, reservado };
  };
  return state.deposits.map((dep) => {
    let saldo: number;
    let reservado: number;
    if (p.tipo === "K") {
      // A kit's balance is how many complete kits the components allow.
      const perComponent = p.kit.map((k) => {
        const b = balanceOf(k.produtoId, dep);
        return { saldo: Math.floor(b.saldo / k.quantidade), livre: Math.floor((b.saldo - b.reservado) / k.quantidade) };
      });
      saldo = perComponent.length ? Math.max(0, Math.min(...perComponent.map((x) => x.saldo))) : 0;
      const livre = perComponent.length ? Math.min(...perComponent.map((x) => x.livre)) : 0;
      reservado = saldo - livre;
    } else if (p.tipo === "V") {
      saldo = 0;
      reservado = 0;
      for (const vid of p.variationIds) {
        const b = balanceOf(vid, dep);
        saldo += b.saldo;
        reservado += b.reservado;
      }
    } else ({ saldo, reservado } = balanceOf(p.id, dep));
    return {
      id: dep.id,
      nome: dep.descricao,
      desconsiderar: dep.desconsideraSaldo,
      saldo: round(saldo),
      reservado: round(reservado),
      disponivel: zeroDisponivel ? 0 : round(saldo - reservado),
      empresa: state.account.cnpj,
    };
  });
}

export function stockView(ctx: TinyContext, p: Product) {
  const depositos = depositBalances(ctx, ctx.reservations, p);
  const counted = depositos.filter((d) => !d.desconsiderar);
  const sum = (key: "saldo" | "reservado" | "disponivel") => round(counted.reduce((n, d) => n + d[key], 0));
  return {
    id: p.id,
    nome: p.descricao,
    codigo: p.sku,
    unidade: p.unidade,
    saldo: sum("saldo"),
    reservado: sum("reservado"),
    disponivel: ctx.state.account.disponivelSempreZero ? 0 : sum("disponivel"),
    localizacao: p.estoque.localizacao,
    depositos,
  };
}

const movementSchema = z.object({
  deposito: z.object({ id: z.number().int() }).nullish(),
  tipo: z.enum(["B", "E", "S"]),
  data: z.string().nullish(),
  quantidade: z.number(),
  precoUnitario: z.number().nullish(),
  observacoes: z.string().nullish(),
});

function depositView(d: Deposit) {
  return { id: d.id, descricao: d.descricao, tipo: d.tipo, desconsideraSaldo: d.desconsideraSaldo, padrao: d.padrao, possuiReserva: d.possuiReserva };
}

export function findDeposit(state: TinyState, id: number | null | undefined, campo: string): Deposit {
  if (id === null || id === undefined) return defaultDeposit(state);
  const dep = state.deposits.find((d) => d.id === id);
  if (!dep) throw validation([{ campo, mensagem: "Depósito não encontrado" }]);
  return dep;
}

export function registerStockRoutes(api: Hono, ctx: TinyContext): void {
  const stockable = (id: number): Product => {
    const p = ctx.state.products.get(id);
    if (!p || p.situacao === "E") throw notFound("Produto não encontrado");
    return p;
  };

  api.get("/estoque/:idProduto", (c) => {
    const p = stockable(pathId(c, "idProduto"));
    return c.json(withBlanks(ctx.state.seed, `estoque:${p.id}`, stockView(ctx, p)));
  });

  api.post("/estoque/:idProduto", async (c) => {
    const p = stockable(pathId(c, "idProduto"));
    const input = await readBody(c, movementSchema);
    if (p.tipo === "K" || p.tipo === "V") throw new TinyError(400, "Não é possível movimentar o estoque de um produto do tipo kit ou com variações; movimente os componentes ou as variações");
    if (!p.estoque.controlar) throw new TinyError(400, "O produto não controla estoque");
    const detalhes = [];
    if (input.quantidade < 0) detalhes.push({ campo: "quantidade", mensagem: "A quantidade não pode ser negativa" });
    if (input.data != null && input.data !== "" && !isDateTime(input.data)) detalhes.push({ campo: "data", mensagem: "Data inválida, use o formato AAAA-MM-DD HH:MM:SS" });
    if (detalhes.length > 0) throw validation(detalhes);
    const dep = findDeposit(ctx.state, input.deposito?.id, "deposito.id");
    const movement = postMovement(ctx, {
      productId: p.id,
      depositId: dep.id,
      tipo: input.tipo,
      quantidade: input.quantidade,
      preco: input.precoUnitario ?? 0,
      observacao: input.observacoes ?? "",
      origem: "api",
      idOrigem: null,
      ...(input.data ? { data: input.data.length === 10 ? `${input.data} 00:00:00` : input.data } : {}),
    });
    return c.json({ idLancamento: movement.id });
  });

  // Newer specs only; the 2025-08 file has no deposit list.
  api.get("/depositos", (c) => c.json(ctx.state.deposits.map(depositView)));
  api.get("/depositos/:idDeposito", (c) => {
    const id = pathId(c, "idDeposito");
    const dep = ctx.state.deposits.find((d) => d.id === id);
    if (!dep) throw notFound("Depósito não encontrado");
    return c.json(depositView(dep));
  });
}

/** Posts the order's items to stock exactly once; the second call is Tiny's "Estoque já lançado." */
export function launchOrderStock(ctx: TinyContext, o: Order): void {
  if (o.estoqueLancado) throw new TinyError(400, "Estoque já lançado.");
  const posted: NonNullable<Order["estoqueLancado"]> = [];
  for (const item of expandItems(ctx.state, o.itens)) {
    const p = ctx.state.products.get(item.produtoId);
    if (!p || !p.estoque.controlar) continue;
    postMovement(ctx, {
      productId: item.produtoId,
      depositId: o.depositoId,
      tipo: "S",
      quantidade: item.quantidade,
      preco: 0,
      observacao: `Saída pedido nº ${o.numeroPedido}`,
      origem: "pedido",
      idOrigem: o.id,
    });
    posted.push({ produtoId: item.produtoId, depositoId: o.depositoId, quantidade: item.quantidade });
  }
  o.estoqueLancado = posted;
  o.dataAtualizacao = spDateTime(ctx.clock.now());
  ctx.reservations.invalidate();
  ctx.changed();
}

export function reverseOrderStock(ctx: TinyContext, o: Order): void {
  if (!o.estoqueLancado) return;
  for (const row of o.estoqueLancado) {
    postMovement(ctx, {
      productId: row.produtoId,
      depositId: row.depositoId,
      tipo: "E",
      quantidade: row.quantidade,
      preco: 0,
      observacao: `Estorno pedido nº ${o.numeroPedido}`,
      origem: "pedido",
      idOrigem: o.id,
    });
  }
  o.estoqueLancado = null;
  o.dataAtualizacao = spDateTime(ctx.clock.now());
  ctx.reservations.invalidate();
  ctx.changed();
}
