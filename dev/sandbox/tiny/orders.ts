import { createHash } from "node:crypto";
import type { Hono } from "hono";
import { z } from "zod";
import { contactRef } from "./contacts";
import type { TinyContext } from "./context";
import { isDate, isDateTime, normalizeDateTime, spDate, spDateTime } from "./dates";
import { TinyError, notFound, paginate, parseJson, pathId, queryInt, queryList, queryStr, readBody, readPage, validateBody, validation, type ErrorDetail } from "./http";
import { launchOrderReceivables, reverseOrderReceivables } from "./finance";
import { generateInvoiceForOrder } from "./invoices";
import { allocateId, emptyEndereco, round, type NamedRef, type Order, type OrderItem, type Parcela, type TinyState } from "./state";
import { launchOrderStock, reverseOrderStock } from "./stock";
import { withBlanks } from "./variants";

// /pedidos. The behaviours integrations trip over are all here: 201 (not 200) on create with a
// string numeroPedido, 409 without the existing id for a repeated payload, stock posted once per
// order, cancellation that keeps stock posted, and `valor` as a string in the list.

export const SITUACOES: Record<number, { slug: string; descricao: string }> = {
  8: { slug: "dados_incompletos", descricao: "Dados incompletos" },
  0: { slug: "aberto", descricao: "Em aberto" },
  3: { slug: "aprovado", descricao: "Aprovado" },
  4: { slug: "preparando_envio", descricao: "Preparando envio" },
  1: { slug: "faturado", descricao: "Faturado" },
  7: { slug: "pronto_envio", descricao: "Pronto para envio" },
  5: { slug: "enviado", descricao: "Enviado" },
  6: { slug: "entregue", descricao: "Entregue" },
  2: { slug: "cancelado", descricao: "Cancelado" },
  9: { slug: "nao_entregue", descricao: "Não entregue" },
};

const situacaoSchema = z
  .number()
  .int()
  .refine((n) => n in SITUACOES, { message: "Situação inválida" });
const str = z.string().nullish();
const num = z.number().nullish();
const optId = z.object({ id: z.number().int().nullish() }).nullish();
const reqId = z.object({ id: z.number().int() }).nullish();

const parcelaSchema = z.object({
  dias: z.number().int().nullish(),
  data: str,
  valor: num,
  observacoes: str,
  formaPagamento: optId,
  // Renamed in the 2026 spec; accepting both keeps older and newer clients working.
  formaRecebimento: optId,
  meioPagamento: optId,
});

const itemSchema = z.object({
  produto: z.object({ id: z.number().int(), tipo: z.enum(["P", "S"]).nullish() }),
  quantidade: z.number(),
  valorUnitario: z.number(),
  infoAdicional: str,
});

const createSchema = z.object({
  data: str,
  dataPrevista: str,
  dataEnvio: str,
  dataEntrega: str,
  numeroOrdemCompra: str,
  observacoes: str,
  observacoesInternas: str,
  situacao: situacaoSchema.nullish(),
  valorDesconto: num,
  valorFrete: num,
  valorOutrasDespesas: num,
  idContato: z.number().int(),
  listaPreco: optId,
  naturezaOperacao: optId,
  vendedor: reqId,
  intermediador: optId,
  deposito: reqId,
  enderecoEntrega: z
    .object({
      endereco: str,
      enderecoNro: str,
      complemento: str,
      bairro: str,
      municipio: str,
      cep: str,
      uf: str,
      fone: str,
      nomeDestinatario: str,
      cpfCnpj: str,
      tipoPessoa: z.enum(["J", "F", "E", "X"]).nullish(),
      ie: str,
    })
    .nullish(),
  ecommerce: z.object({ id: z.number().int().nullish(), numeroPedidoEcommerce: str }).nullish(),
  transportador: z
    .object({ id: z.number().int().nullish(), fretePorConta: z.enum(["R", "D", "T", "3", "4", "S"]).nullish(), formaEnvio: reqId, formaFrete: reqId, codigoRastreamento: str, urlRastreamento: str })
    .nullish(),
  pagamento: z.object({ formaPagamento: optId, formaRecebimento: optId, meioPagamento: optId, parcelas: z.array(parcelaSchema).nullish() }).nullish(),
  itens: z.array(itemSchema).nullish(),
});

export type CreateOrderInput = z.infer<typeof createSchema>;

const updateSchema = z.object({
  dataPrevista: str,
  dataEnvio: str,
  observacoes: str,
  observacoesInternas: str,
  pagamento: z.object({ parcelas: z.array(parcelaSchema).nullish() }).nullish(),
});

const despachoSchema = z.object({
  codigoRastreamento: str,
  urlRastreamento: str,
  formaEnvio: reqId,
  formaFrete: reqId,
  fretePagoEmpresa: num,
  dataPrevista: str,
  idContatoTransportadora: z.number().int().nullish(),
  volumes: z.number().int().nullish(),
  pesoBruto: num,
  pesoLiquido: num,
  observacoes: str,
});

const markersSchema = z.array(z.object({ descricao: z.string().min(1) }));

const EMPTY_REF: NamedRef = { id: 0, nome: "" };

/** Stable JSON so two payloads that differ only in key order hash alike, as Tiny's dedup does. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value !== null && typeof value === "object") {
    return `{${Object.keys(value as object)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(value);
}

export function getOrder(state: TinyState, id: number): Order {
  const o = state.orders.get(id);
  if (!o) throw notFound("Pedido não encontrado");
  return o;
}

function checkDate(detalhes: ErrorDetail[], campo: string, v: string | null | undefined, withTime = false): void {
  if (v === null || v === undefined || v === "") return;
  if (withTime ? !isDateTime(v) : !isDate(v)) detalhes.push({ campo, mensagem: `Data inválida, use o formato ${withTime ? "AAAA-MM-DD HH:MM:SS" : "AAAA-MM-DD"}` });
}

function buildItems(state: TinyState, itens: NonNullable<CreateOrderInput["itens"]>, detalhes: ErrorDetail[], prefix = "itens"): OrderItem[] {
  if (itens.length === 0) detalhes.push({ campo: prefix, mensagem: "O pedido deve conter pelo menos um item" });
  return itens.map((it, i) => {
    const p = state.products.get(it.produto.id);
    if (!p || p.situacao === "E") detalhes.push({ campo: `${prefix}[${i}].produto.id`, mensagem: "Produto não encontrado" });
    else if (p.tipo === "V") detalhes.push({ campo: `${prefix}[${i}].produto.id`, mensagem: "Produto com variações: informe o id da variação" });
    if (it.quantidade <= 0) detalhes.push({ campo: `${prefix}[${i}].quantidade`, mensagem: "A quantidade deve ser maior que zero" });
    if (it.valorUnitario < 0) detalhes.push({ campo: `${prefix}[${i}].valorUnitario`, mensagem: "O valor unitário não pode ser negativo" });
    return { produtoId: it.produto.id, sku: p?.sku ?? "", descricao: p?.descricao ?? "", quantidade: it.quantidade, valorUnitario: it.valorUnitario, infoAdicional: it.infoAdicional ?? "" };
  });
}

function buildParcelas(state: TinyState, parcelas: z.infer<typeof parcelaSchema>[], forma: NamedRef, detalhes: ErrorDetail[], prefix: string): Parcela[] {
  return parcelas.map((p, i) => {
    const formaId = p.formaRecebimento?.id ?? p.formaPagamento?.id ?? null;
    if (formaId !== null && formaId !== forma.id) {
      detalhes.push({ campo: `${prefix}.parcelas[${i}].formaPagamento.id`, mensagem: "Forma de recebimento da parcela diferente da forma de recebimento do pedido" });
    }
    if (p.data) checkDate(detalhes, `${prefix}.parcelas[${i}].data`, p.data);
    const meio = findMeio(state, p.meioPagamento?.id, `${prefix}.parcelas[${i}].meioPagamento.id`, detalhes);
    return {
      dias: p.dias ?? 0,
      // Tiny answers parcel dates with a midnight time suffix.
      data: p.data ? `${p.data} 00:00:00` : "",
      valor: p.valor ?? 0,
      observacoes: p.observacoes ?? "",
      formaPagamento: forma,
      meioPagamento: meio,
    };
  });
}

function freteOf(state: TinyState, id: number | undefined): NamedRef {
  if (!id) return EMPTY_REF;
  for (const envio of state.lookups.formasEnvio) {
    const f = envio.formasFrete.find((x) => x.id === id);
    if (f) return { id: f.id, nome: f.nome };
  }
  return { id, nome: "" };
}

function findMeio(state: TinyState, id: number | null | undefined, campo: string, detalhes: ErrorDetail[]): NamedRef {
  if (!id) return EMPTY_REF;
  const meio = state.lookups.meiosPagamento.find((m) => m.id === id);
  if (!meio) {
    detalhes.push({ campo, mensagem: "Meio de pagamento não encontrado" });
    return EMPTY_REF;
  }
  return { ...meio };
}

function totals(o: Order) {
  const produtos = round(
    o.itens.reduce((n, i) => n + i.quantidade * i.valorUnitario, 0),
    2,
  );
  return { produtos, pedido: round(produtos + o.valorFrete + o.valorOutrasDespesas - o.valorDesconto, 2) };
}

export interface CreateOrderOptions {
  /** Control endpoints create "panel" orders that bypass the duplicate check. */
  skipDuplicateCheck?: boolean;
  rawBody?: unknown;
}

export function createOrder(ctx: TinyContext, input: CreateOrderInput, opts: CreateOrderOptions = {}): Order {
  const { state } = ctx;
  const now = ctx.clock.now();
  const detalhes: ErrorDetail[] = [];

  const contact = state.contacts.get(input.idContato);
  if (!contact || contact.situacao === "E") detalhes.push({ campo: "idContato", mensagem: "Contato não encontrado" });
  const itens = buildItems(state, input.itens ?? [], detalhes);
  for (const [campo, v] of [
    ["data", input.data],
    ["dataPrevista", input.dataPrevista],
    ["dataEntrega", input.dataEntrega],
  ] as const)
    checkDate(detalhes, campo, v);
  checkDate(detalhes, "dataEnvio", input.dataEnvio, true);

  let deposito = state.deposits.find((d) => d.padrao) ?? state.deposits[0];
  if (input.deposito) {
    deposito = state.deposits.find((d) => d.id === input.deposito?.id);
    if (!deposito) detalhes.push({ campo: "deposito.id", mensagem: "Depósito não encontrado" });
  }

  let formaEnvio = EMPTY_REF;
  if (input.transportador?.formaEnvio) {
    const f = state.lookups.formasEnvio.find((x) => x.id === input.transportador?.formaEnvio?.id);
    if (!f) detalhes.push({ campo: "transportador.formaEnvio.id", mensagem: "Forma de envio não encontrada" });
    else if (f.situacao !== 1) detalhes.push({ campo: "transportador.formaEnvio.id", mensagem: "Forma de envio não habilitada" });
    else formaEnvio = { id: f.id, nome: f.nome };
  }

  const formaId = input.pagamento?.formaRecebimento?.id ?? input.pagamento?.formaPagamento?.id ?? null;
  const defaultForma = state.lookups.formasPagamento[0] ?? { id: 1, nome: "Múltiplas" };
  let forma: NamedRef = { id: defaultForma.id, nome: defaultForma.nome };
  if (formaId !== null) {
    const f = state.lookups.formasPagamento.find((x) => x.id === formaId);
    if (!f) detalhes.push({ campo: "pagamento.formaPagamento.id", mensagem: "Forma de recebimento não encontrada" });
    else forma = { id: f.id, nome: f.nome };
  }
  const meio = findMeio(state, input.pagamento?.meioPagamento?.id, "pagamento.meioPagamento.id", detalhes);
  const parcelas = buildParcelas(state, input.pagamento?.parcelas ?? [], forma, detalhes, "pagamento");
  let intermediador = { id: 0, nome: "", cnpj: "" };
  if (input.intermediador?.id) {
    const found = state.lookups.intermediadores.find((x) => x.id === input.intermediador?.id);
    if (!found) detalhes.push({ campo: "intermediador.id", mensagem: "Intermediador não encontrado" });
    else intermediador = found;
  }

  if (input.vendedor && !state.lookups.vendedores.some((v) => v.id === input.vendedor?.id)) detalhes.push({ campo: "vendedor.id", mensagem: "Vendedor não encontrado" });
  let natureza = state.lookups.naturezasOperacao[0] ?? EMPTY_REF;
  if (input.naturezaOperacao?.id) {
    const n = state.lookups.naturezasOperacao.find((x) => x.id === input.naturezaOperacao?.id);
    if (!n) detalhes.push({ campo: "naturezaOperacao.id", mensagem: "Natureza de operação não encontrada" });
    else natureza = n;
  }
  if (detalhes.length > 0 || !contact || !deposito) throw validation(detalhes);

  // Without a registered channel Tiny accepts numeroPedidoEcommerce but silently drops it.
  const channel = input.ecommerce?.id ? state.lookups.ecommerces.find((e) => e.id === input.ecommerce?.id) : undefined;
  const numeroEcommerce = channel ? (input.ecommerce?.numeroPedidoEcommerce ?? "") : "";

  if (!opts.skipDuplicateCheck) {
    for (const [hash, expires] of state.orderHashes) if (expires <= now) state.orderHashes.delete(hash);
    const hash = createHash("sha256")
      .update(canonical(opts.rawBody ?? input))
      .digest("hex");
    // Only the payload hash (tiny-api.md §7.7): Tiny does not refuse a repeated e-commerce number.
    if (state.orderHashes.has(hash)) throw new TinyError(409, "Esse registro já existe");
    state.orderHashes.set(hash, now + ctx.settings.duplicateWindowMs);
  }

  const e = input.enderecoEntrega;
  const stamp = spDateTime(now);
  const order: Order = {
    id: allocateId(state),
    numeroPedido: state.nextNumeroPedido++,
    situacao: input.situacao ?? 0,
    data: input.data || spDate(now),
    dataPrevista: input.dataPrevista ?? "",
    dataEnvio: input.dataEnvio ?? "",
    dataEntrega: input.dataEntrega ?? "",
    dataFaturamento: "",
    numeroOrdemCompra: input.numeroOrdemCompra ?? "",
    observacoes: input.observacoes ?? "",
    observacoesInternas: input.observacoesInternas ?? "",
    valorDesconto: input.valorDesconto ?? 0,
    valorFrete: input.valorFrete ?? 0,
    valorOutrasDespesas: input.valorOutrasDespesas ?? 0,
    idContato: contact.id,
    // Request and response address names differ (enderecoNro→numero, fone dropped), as in the real API.
    enderecoEntrega: e
      ? {
          ...emptyEndereco(),
          endereco: e.endereco ?? "",
          numero: e.enderecoNro ?? "",
          complemento: e.complemento ?? "",
          bairro: e.bairro ?? "",
          municipio: e.municipio ?? "",
          cep: e.cep ?? "",
          uf: e.uf ?? "",
          pais: "Brasil",
          nomeDestinatario: e.nomeDestinatario ?? "",
          cpfCnpj: e.cpfCnpj ?? "",
          tipoPessoa: e.tipoPessoa ?? "",
        }
      : { ...contact.endereco, nomeDestinatario: contact.nome, cpfCnpj: contact.cpfCnpj, tipoPessoa: contact.tipoPessoa },
    ecommerce: { id: channel?.id ?? 0, nome: channel?.nome ?? "", numeroPedidoEcommerce: numeroEcommerce, numeroPedidoCanalVenda: numeroEcommerce, canalVenda: channel?.nome ?? "" },
    transportador: {
      id: input.transportador?.id ?? 0,
      nome: "",
      fretePorConta: input.transportador?.fretePorConta ?? "R",
      formaEnvio,
      formaFrete: freteOf(state, input.transportador?.formaFrete?.id),
      codigoRastreamento: input.transportador?.codigoRastreamento ?? "",
      urlRastreamento: input.transportador?.urlRastreamento ?? "",
    },
    depositoId: deposito.id,
    vendedorId: input.vendedor?.id ?? 0,
    naturezaOperacao: natureza,
    intermediadorId: intermediador.id,
    listaPreco: { id: 0, nome: "Padrão", acrescimoDesconto: 0 },
    pagamento: { formaPagamento: forma, meioPagamento: meio, condicaoPagamento: parcelas.length > 1 ? parcelas.map((p) => p.dias).join(" ") : "", parcelas },
    itens,
    marcadores: [],
    estoqueLancado: null,
    idNotaFiscal: 0,
    dataCriacao: stamp,
    dataAtualizacao: stamp,
  };
  state.orders.set(order.id, order);
  ctx.reservations.invalidate();
  ctx.changed();
  ctx.events.orderCreated(order);
  return order;
}

function touch(ctx: TinyContext, o: Order, notify = true): void {
  o.dataAtualizacao = spDateTime(ctx.clock.now());
  ctx.reservations.invalidate();
  ctx.changed();
  if (notify) ctx.events.orderUpdated(o);
}

export function setOrderStatus(ctx: TinyContext, o: Order, situacao: number): void {
  if (!(situacao in SITUACOES)) throw validation([{ campo: "situacao", mensagem: "Situação inválida" }]);
  if (o.situacao === situacao) return;
  o.situacao = situacao;
  if (situacao === 1 && !o.dataFaturamento) o.dataFaturamento = spDate(ctx.clock.now());
  if (situacao === 5 && !o.dataEnvio) o.dataEnvio = spDateTime(ctx.clock.now());
  if (situacao === 6 && !o.dataEntrega) o.dataEntrega = spDate(ctx.clock.now());
  touch(ctx, o);
}

function clienteOf(state: TinyState, o: Order) {
  const c = state.contacts.get(o.idContato);
  return c ? contactRef(c) : { id: o.idContato };
}

function orderListItem(ctx: TinyContext, o: Order) {
  const t = totals(o);
  const vend = ctx.state.lookups.vendedores.find((v) => v.id === o.vendedorId);
  return {
    id: o.id,
    situacao: o.situacao,
    numeroPedido: o.numeroPedido,
    ecommerce: { ...o.ecommerce },
    dataCriacao: o.data,
    dataPrevista: o.dataPrevista,
    cliente: clienteOf(ctx.state, o),
    // A string in the list (a number in the detail) — a real inconsistency clients must parse.
    valor: String(t.pedido),
    vendedor: { id: o.vendedorId, nome: vend?.nome ?? "" },
    transportador: { ...o.transportador },
  };
}

function intermediadorOf(state: TinyState, id: number) {
  const found = state.lookups.intermediadores.find((x) => x.id === id);
  return found ? { ...found } : { id, nome: "", cnpj: "" };
}

/** ObterPedidoModelResponse's own nullable strings. */
const orderNullableStrings = ["dataPrevista", "dataEnvio", "observacoes", "observacoesInternas", "data", "dataEntrega", "numeroOrdemCompra", "dataFaturamento"];

export function orderDetail(ctx: TinyContext, o: Order) {
  const { state } = ctx;
  const t = totals(o);
  const dep = state.deposits.find((d) => d.id === o.depositoId);
  const vend = state.lookups.vendedores.find((v) => v.id === o.vendedorId);
  return {
    id: o.id,
    numeroPedido: o.numeroPedido,
    idNotaFiscal: o.idNotaFiscal,
    dataFaturamento: o.dataFaturamento,
    valorTotalProdutos: t.produtos,
    valorTotalPedido: t.pedido,
    data: o.data,
    dataPrevista: o.dataPrevista,
    dataEnvio: o.dataEnvio,
    dataEntrega: o.dataEntrega,
    observacoes: o.observacoes,
    observacoesInternas: o.observacoesInternas,
    situacao: o.situacao,
    numeroOrdemCompra: o.numeroOrdemCompra,
    valorDesconto: o.valorDesconto,
    valorFrete: o.valorFrete,
    valorOutrasDespesas: o.valorOutrasDespesas,
    listaPreco: { ...o.listaPreco },
    cliente: clienteOf(state, o),
    enderecoEntrega: { ...o.enderecoEntrega },
    ecommerce: { ...o.ecommerce },
    transportador: { ...o.transportador },
    deposito: { id: o.depositoId, nome: dep?.descricao ?? "" },
    vendedor: { id: o.vendedorId, nome: vend?.nome ?? "" },
    naturezaOperacao: { ...o.naturezaOperacao },
    intermediador: intermediadorOf(state, o.intermediadorId),
    pagamento: {
      formaPagamento: { ...o.pagamento.formaPagamento },
      meioPagamento: { ...o.pagamento.meioPagamento },
      condicaoPagamento: o.pagamento.condicaoPagamento,
      parcelas: o.pagamento.parcelas.map((p) => ({ ...p })),
    },
    itens: o.itens.map((i) => ({ produto: { id: i.produtoId, sku: i.sku, descricao: i.descricao }, quantidade: i.quantidade, valorUnitario: i.valorUnitario, infoAdicional: i.infoAdicional })),
  };
}

export function registerOrderRoutes(api: Hono, ctx: TinyContext): void {
  api.get("/pedidos", (c) => {
    const { state } = ctx;
    const page = readPage(c, ctx.settings.maxLimit);
    const numero = queryInt(c, "numero");
    const nomeCliente = queryStr(c, "nomeCliente")?.toLocaleLowerCase("pt-BR");
    const codigoCliente = queryStr(c, "codigoCliente");
    const doc = (queryStr(c, "cpfCnpj") ?? queryStr(c, "cnpj"))?.replace(/\D/g, "");
    const dataInicial = queryStr(c, "dataInicial");
    const dataFinal = queryStr(c, "dataFinal");
    const dataAtualizacao = queryStr(c, "dataAtualizacao");
    const situacao = queryInt(c, "situacao");
    const numeroEcommerce = queryStr(c, "numeroPedidoEcommerce");
    const idVendedor = queryInt(c, "idVendedor");
    const marcadores = queryList(c, "marcadores");
    const detalhes: ErrorDetail[] = [];
    checkDate(detalhes, "dataInicial", dataInicial);
    checkDate(detalhes, "dataFinal", dataFinal);
    checkDate(detalhes, "dataAtualizacao", dataAtualizacao, true);
    if (situacao !== undefined && !(situacao in SITUACOES)) detalhes.push({ campo: "situacao", mensagem: "Situação inválida" });
    if (detalhes.length > 0) throw validation(detalhes);
    const rows = [...state.orders.values()].filter((o) => {
      if (numero !== undefined && o.numeroPedido !== numero) return false;
      if (situacao !== undefined && o.situacao !== situacao) return false;
      if (dataInicial && o.data < dataInicial) return false;
      if (dataFinal && o.data > dataFinal) return false;
      if (dataAtualizacao && o.dataAtualizacao < normalizeDateTime(dataAtualizacao)) return false;
      if (numeroEcommerce !== undefined && o.ecommerce.numeroPedidoEcommerce !== numeroEcommerce) return false;
      if (idVendedor !== undefined && o.vendedorId !== idVendedor) return false;
      if (marcadores && !marcadores.every((m) => o.marcadores.includes(m))) return false;
      if (nomeCliente !== undefined || codigoCliente !== undefined || doc !== undefined) {
        const cli = state.contacts.get(o.idContato);
        if (!cli) return false;
        if (nomeCliente !== undefined && !cli.nome.toLocaleLowerCase("pt-BR").includes(nomeCliente)) return false;
        if (codigoCliente !== undefined && cli.codigo !== codigoCliente) return false;
        if (doc !== undefined && cli.cpfCnpj.replace(/\D/g, "") !== doc) return false;
      }
      return true;
    });
    return c.json(paginate(rows, page, (o) => withBlanks(ctx.state.seed, `pedido:${o.id}`, orderListItem(ctx, o), ["dataCriacao", "dataPrevista", "valor"])));
  });

  api.post("/pedidos", async (c) => {
    // The duplicate check hashes the payload as sent, unknown fields included.
    const raw = parseJson(await c.req.text());
    const input = validateBody(createSchema, raw);
    const order = createOrder(ctx, input, { rawBody: raw });
    return c.json({ id: order.id, numeroPedido: String(order.numeroPedido) }, 201);
  });

  api.get("/pedidos/:idPedido", (c) => {
    const order = getOrder(ctx.state, pathId(c, "idPedido"));
    return c.json(withBlanks(ctx.state.seed, `pedido:${order.id}`, orderDetail(ctx, order), orderNullableStrings));
  });

  api.put("/pedidos/:idPedido", async (c) => {
    const o = getOrder(ctx.state, pathId(c, "idPedido"));
    const input = await readBody(c, updateSchema);
    const detalhes: ErrorDetail[] = [];
    checkDate(detalhes, "dataPrevista", input.dataPrevista);
    checkDate(detalhes, "dataEnvio", input.dataEnvio, true);
    const parcelas = input.pagamento?.parcelas ? buildParcelas(ctx.state, input.pagamento.parcelas, o.pagamento.formaPagamento, detalhes, "pagamento") : null;
    if (detalhes.length > 0) throw validation(detalhes);
    // PUT merges: omitted fields keep their value (observed on the real API).
    if (input.dataPrevista != null) o.dataPrevista = input.dataPrevista;
    if (input.dataEnvio != null) o.dataEnvio = input.dataEnvio;
    if (input.observacoes != null) o.observacoes = input.observacoes;
    if (input.observacoesInternas != null) o.observacoesInternas = input.observacoesInternas;
    if (parcelas) o.pagamento.parcelas = parcelas;
    touch(ctx, o);
    return c.body(null, 204);
  });

  api.put("/pedidos/:idPedido/situacao", async (c) => {
    const o = getOrder(ctx.state, pathId(c, "idPedido"));
    const input = await readBody(c, z.object({ situacao: situacaoSchema }));
    setOrderStatus(ctx, o, input.situacao);
    return c.body(null, 204);
  });

  // Newer specs: replaces the whole item list, refused once stock was posted.
  api.put("/pedidos/:idPedido/itens", async (c) => {
    const o = getOrder(ctx.state, pathId(c, "idPedido"));
    const input = await readBody(c, z.object({ itens: z.array(itemSchema) }));
    if (o.estoqueLancado) throw validation([{ campo: "pedido.motivosBloqueio[0]", mensagem: "estoque lançado" }], "Não é possível alterar os itens do pedido");
    const detalhes: ErrorDetail[] = [];
    const itens = buildItems(ctx.state, input.itens, detalhes);
    if (detalhes.length > 0) throw validation(detalhes);
    o.itens = itens;
    touch(ctx, o);
    return c.body(null, 204);
  });

  api.put("/pedidos/:idPedido/despacho", async (c) => {
    const o = getOrder(ctx.state, pathId(c, "idPedido"));
    const input = await readBody(c, despachoSchema);
    if (input.formaEnvio) {
      const f = ctx.state.lookups.formasEnvio.find((x) => x.id === input.formaEnvio?.id);
      if (!f) throw validation([{ campo: "formaEnvio.id", mensagem: "Forma de envio não encontrada" }]);
      if (f.situacao !== 1) throw validation([{ campo: "formaEnvio.id", mensagem: "Forma de envio não habilitada" }]);
      o.transportador.formaEnvio = { id: f.id, nome: f.nome };
    }
    if (input.formaFrete) o.transportador.formaFrete = freteOf(ctx.state, input.formaFrete.id);
    if (input.codigoRastreamento != null) o.transportador.codigoRastreamento = input.codigoRastreamento;
    if (input.urlRastreamento != null) o.transportador.urlRastreamento = input.urlRastreamento;
    if (input.dataPrevista != null) o.dataPrevista = input.dataPrevista;
    touch(ctx, o);
    return c.body(null, 204);
  });

  api.post("/pedidos/:idPedido/lancar-estoque", (c) => {
    launchOrderStock(ctx, getOrder(ctx.state, pathId(c, "idPedido")));
    return c.body(null, 204);
  });

  api.post("/pedidos/:idPedido/estornar-estoque", (c) => {
    reverseOrderStock(ctx, getOrder(ctx.state, pathId(c, "idPedido")));
    return c.body(null, 204);
  });

  api.post("/pedidos/:idPedido/lancar-contas", (c) => {
    const o = getOrder(ctx.state, pathId(c, "idPedido"));
    launchOrderReceivables(ctx, o, totals(o).pedido);
    return c.body(null, 204);
  });

  api.post("/pedidos/:idPedido/estornar-contas", (c) => {
    reverseOrderReceivables(ctx, getOrder(ctx.state, pathId(c, "idPedido")));
    return c.body(null, 204);
  });

  api.post("/pedidos/:idPedido/gerar-nota-fiscal", async (c) => {
    const o = getOrder(ctx.state, pathId(c, "idPedido"));
    // The 2026 spec adds {"modelo": 55|65}; the 2025-08 one has no body. Both are accepted.
    const body = validateBody(z.object({ modelo: z.union([z.literal(55), z.literal(65)]).nullish() }).nullish(), parseJson(await c.req.text()));
    const nota = generateInvoiceForOrder(ctx, o, body?.modelo ?? 55);
    return c.json({ id: nota.id, numero: nota.numero, serie: nota.serie });
  });

  api.get("/pedidos/:idPedido/marcadores", (c) => c.json(getOrder(ctx.state, pathId(c, "idPedido")).marcadores.map((descricao) => ({ descricao }))));

  api.post("/pedidos/:idPedido/marcadores", async (c) => {
    const o = getOrder(ctx.state, pathId(c, "idPedido"));
    const input = await readBody(c, markersSchema);
    for (const { descricao } of input) if (!o.marcadores.includes(descricao)) o.marcadores.push(descricao);
    touch(ctx, o, false);
    return c.body(null, 204);
  });

  api.put("/pedidos/:idPedido/marcadores", async (c) => {
    const o = getOrder(ctx.state, pathId(c, "idPedido"));
    const input = await readBody(c, markersSchema);
    o.marcadores = [...new Set(input.map((m) => m.descricao))];
    touch(ctx, o, false);
    return c.body(null, 204);
  });

  api.delete("/pedidos/:idPedido/marcadores", (c) => {
    const o = getOrder(ctx.state, pathId(c, "idPedido"));
    o.marcadores = [];
    touch(ctx, o, false);
    return c.body(null, 204);
  });
}
