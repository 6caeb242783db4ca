import type { Hono } from "hono";
import { z } from "zod";
import { contactRef } from "./contacts";
import type { TinyContext } from "./context";
import { isDate, spDate, spDateTime } from "./dates";
import { TinyError, notFound, paginate, pathId, queryInt, queryStr, readBody, readPage, validation, type ErrorDetail } from "./http";
import { withBlanks } from "./variants";
import { allocateId, type Grouping, type NamedRef, type Shipment, type TinyState } from "./state";

// /expedicao: shipping groups ("agrupamentos") built from orders, invoices or loose parcels, and
// their labels. All objects of a group share one shipping method, as in Tiny's expedition screen.

const num = z.number().nullish();
const embalagem = z.object({ id: z.number().int().nullish(), tipo: z.union([z.literal(0), z.literal(1), z.literal(2), z.literal(3)]).nullish() }).nullish();
const logistica = z
  .object({
    formaFrete: z.object({ id: z.number().int() }).nullish(),
    codigoRastreio: z.string().nullish(),
    urlRastreio: z.string().nullish(),
    possuiValorDeclarado: z.boolean().nullish(),
    valorDeclarado: num,
    possuiAvisoRecebimento: z.boolean().nullish(),
  })
  .nullish();

const sourcesSchema = z.object({
  idsNotasFiscais: z.array(z.number().int()).nullish(),
  idsPedidos: z.array(z.number().int()).nullish(),
  objetosAvulsos: z
    .array(
      z.object({
        descricao: z.string().nullish(),
        data: z.string().nullish(),
        destinatario: z.object({ id: z.number().int().nullish() }).nullish(),
        volume: z.object({ embalagem, largura: num, altura: num, comprimento: num, diametro: num, pesoBruto: num }).nullish(),
        logistica,
      }),
    )
    .nullish(),
});

const shipmentUpdateSchema = z.object({
  descricao: z.string().nullish(),
  volume: z.object({ embalagem, largura: num, altura: num, comprimento: num, diametro: num, pesoBruto: num, quantidadeVolumes: num }).nullish(),
  logistica,
});

const NO_METHOD: NamedRef = { id: 0, nome: "" };

function blankShipment(state: TinyState, now: number, destinatarioId: number): Shipment {
  return {
    id: allocateId(state),
    data: spDate(now),
    situacao: "pendente",
    pedidoId: null,
    notaId: null,
    destinatarioId,
    descricao: "",
    volume: { embalagem: { id: 0, tipo: 2, descricao: "Caixa" }, largura: 0, altura: 0, comprimento: 0, diametro: 0, pesoBruto: 0, quantidadeVolumes: 1 },
    logistica: { codigoRastreio: "", urlRastreio: "", possuiValorDeclarado: false, valorDeclarado: 0, possuiAvisoRecebimento: false, formaFrete: { ...NO_METHOD } },
  };
}

/** Turns the request's sources into shipments; every problem is reported at once, like Tiny's validation. */
function buildShipments(ctx: TinyContext, input: z.infer<typeof sourcesSchema>, current: NamedRef | null): { shipments: Shipment[]; formaEnvio: NamedRef } {
  const { state } = ctx;
  const now = ctx.clock.now();
  const detalhes: ErrorDetail[] = [];
  const shipments: Shipment[] = [];
  let formaEnvio = current;
  const useMethod = (m: NamedRef, campo: string) => {
    if (formaEnvio === null) formaEnvio = m;
    else if (formaEnvio.id !== m.id) detalhes.push({ campo, mensagem: "Todos os objetos do agrupamento devem ter a mesma forma de envio" });
  };
  (input.idsPedidos ?? []).forEach((id, i) => {
    const o = state.orders.get(id);
    const problem = !o ? "Pedido não encontrado" : o.situacao === 2 ? "Pedido cancelado" : null;
    if (!o || problem) {
      detalhes.push({ campo: `idsPedidos[${i}]`, mensagem: problem ?? "" });
      return;
    }
    useMethod(o.transportador.formaEnvio, `idsPedidos[${i}]`);
    const s = blankShipment(state, now, o.idContato);
    s.pedidoId = o.id;
    s.notaId = o.idNotaFiscal || null;
    s.logistica.codigoRastreio = o.transportador.codigoRastreamento;
    s.logistica.urlRastreio = o.transportador.urlRastreamento;
    s.logistica.formaFrete = { ...o.transportador.formaFrete };
    shipments.push(s);
  });
  (input.idsNotasFiscais ?? []).forEach((id, i) => {
    const n = state.invoices.get(id);
    if (!n) {
      detalhes.push({ campo: `idsNotasFiscais[${i}]`, mensagem: "Nota fiscal não encontrada" });
      return;
    }
    const o = n.idPedido !== null ? state.orders.get(n.idPedido) : undefined;
    useMethod(o?.transportador.formaEnvio ?? NO_METHOD, `idsNotasFiscais[${i}]`);
    const s = blankShipment(state, now, n.idContato);
    s.notaId = n.id;
    s.pedidoId = n.idPedido;
    shipments.push(s);
  });
  (input.objetosAvulsos ?? []).forEach((obj, i) => {
    const destId = obj.destinatario?.id;
    const dest = destId != null ? state.contacts.get(destId) : undefined;
    if (!dest) {
      detalhes.push({ campo: `objetosAvulsos[${i}].destinatario.id`, mensagem: "Contato não encontrado" });
      return;
    }
    if (obj.data && !isDate(obj.data)) {
      detalhes.push({ campo: `objetosAvulsos[${i}].data`, mensagem: "Data inválida, use o formato AAAA-MM-DD" });
      return;
    }
    const s = blankShipment(state, now, dest.id);
    s.descricao = obj.descricao ?? "";
    if (obj.data) s.data = obj.data;
    applyVolume(s, obj.volume);
    applyLogistics(s, obj.logistica);
    shipments.push(s);
  });
  if (shipments.length === 0 && detalhes.length === 0) detalhes.push({ campo: "idsPedidos", mensagem: "Informe ao menos um pedido, nota fiscal ou objeto avulso" });
  if (detalhes.length > 0) throw validation(detalhes);
  return { shipments, formaEnvio: formaEnvio ?? NO_METHOD };
}

function applyVolume(s: Shipment, v: z.infer<typeof shipmentUpdateSchema>["volume"]): void {
  if (!v) return;
  if (v.embalagem) s.volume.embalagem = { id: v.embalagem.id ?? s.volume.embalagem.id, tipo: v.embalagem.tipo ?? s.volume.embalagem.tipo, descricao: s.volume.embalagem.descricao };
  for (const key of ["largura", "altura", "comprimento", "diametro", "pesoBruto"] as const) {
    const n = v[key];
    if (n != null) s.volume[key] = n;
  }
  if (v.quantidadeVolumes != null) s.volume.quantidadeVolumes = Math.round(v.quantidadeVolumes);
}

function applyLogistics(s: Shipment, l: z.infer<typeof logistica>): void {
  if (!l) return;
  if (l.formaFrete) s.logistica.formaFrete = { id: l.formaFrete.id, nome: "" };
  if (l.codigoRastreio != null) s.logistica.codigoRastreio = l.codigoRastreio;
  if (l.urlRastreio != null) s.logistica.urlRastreio = l.urlRastreio;
  if (l.possuiValorDeclarado != null) s.logistica.possuiValorDeclarado = l.possuiValorDeclarado;
  if (l.valorDeclarado != null) s.logistica.valorDeclarado = l.valorDeclarado;
  if (l.possuiAvisoRecebimento != null) s.logistica.possuiAvisoRecebimento = l.possuiAvisoRecebimento;
}

function shipmentView(state: TinyState, s: Shipment) {
  const o = s.pedidoId !== null ? state.orders.get(s.pedidoId) : undefined;
  const n = s.notaId !== null ? state.invoices.get(s.notaId) : undefined;
  const dest = state.contacts.get(s.destinatarioId);
  return {
    id: s.id,
    data: s.data,
    situacao: s.situacao,
    ...(o ? { venda: { id: o.id, numero: o.numeroPedido, data: o.data, situacao: o.situacao } } : {}),
    ...(n ? { notaFiscal: { id: n.id, numero: n.numero, data: n.dataEmissao, situacao: n.situacao } } : {}),
    destinatario: dest ? contactRef(dest) : { id: s.destinatarioId },
    volume: { ...s.volume, embalagem: { ...s.volume.embalagem } },
    logistica: { ...s.logistica, transportador: { id: 0, nome: "" } },
  };
}

function getGrouping(state: TinyState, id: number): Grouping {
  const g = state.groupings.get(id);
  if (!g) throw notFound("Agrupamento não encontrado");
  return g;
}

export function registerShippingRoutes(api: Hono, ctx: TinyContext): void {
  api.get("/expedicao", (c) => {
    const page = readPage(c, ctx.settings.maxLimit);
    const idFormaEnvio = queryInt(c, "idFormaEnvio");
    const dataInicial = queryStr(c, "dataInicial");
    const dataFinal = queryStr(c, "dataFinal");
    const rows = [...ctx.state.groupings.values()].filter(
      (g) => (idFormaEnvio === undefined || g.formaEnvio.id === idFormaEnvio) && (!dataInicial || g.data >= dataInicial) && (!dataFinal || g.data <= dataFinal),
    );
    return c.json(paginate(rows, page, (g) => ({ id: g.id, identificacao: g.identificacao, data: g.data, quantidadeObjetos: g.expedicoes.length, formaEnvio: { ...g.formaEnvio } })));
  });

  api.post("/expedicao", async (c) => {
    const input = await readBody(c, sourcesSchema);
    const { shipments, formaEnvio } = buildShipments(ctx, input, null);
    const now = ctx.clock.now();
    const id = allocateId(ctx.state);
    const grouping: Grouping = { id, identificacao: `${formaEnvio.nome || "Agrupamento"} ${spDateTime(now)}`, data: spDate(now), formaEnvio, concluido: false, expedicoes: shipments };
    ctx.state.groupings.set(id, grouping);
    ctx.changed();
    return c.json({ id });
  });

  api.get("/expedicao/:idAgrupamento", (c) => {
    const g = getGrouping(ctx.state, pathId(c, "idAgrupamento"));
    return c.json(
      withBlanks(ctx.state.seed, `agrupamento:${g.id}`, {
        id: g.id,
        identificacao: g.identificacao,
        data: g.data,
        formaEnvio: { ...g.formaEnvio },
        expedicoes: g.expedicoes.map((s) => shipmentView(ctx.state, s)),
      }),
    );
  });

  api.post("/expedicao/:idAgrupamento/origens", async (c) => {
    const g = getGrouping(ctx.state, pathId(c, "idAgrupamento"));
    if (g.concluido) throw new TinyError(400, "O agrupamento já foi concluído");
    const input = await readBody(c, sourcesSchema);
    const { shipments } = buildShipments(ctx, input, g.expedicoes.length > 0 ? g.formaEnvio : null);
    g.expedicoes.push(...shipments);
    ctx.changed();
    return c.body(null, 200);
  });

  api.put("/expedicao/:idAgrupamento/expedicao/:idExpedicao", async (c) => {
    const g = getGrouping(ctx.state, pathId(c, "idAgrupamento"));
    const idExpedicao = pathId(c, "idExpedicao");
    const s = g.expedicoes.find((x) => x.id === idExpedicao);
    if (!s) throw notFound("Expedição não encontrada");
    const input = await readBody(c, shipmentUpdateSchema);
    if (input.descricao != null) s.descricao = input.descricao;
    applyVolume(s, input.volume);
    applyLogistics(s, input.logistica);
    ctx.changed();
    return c.body(null, 204);
  });

  api.post("/expedicao/:idAgrupamento/concluir", (c) => {
    const g = getGrouping(ctx.state, pathId(c, "idAgrupamento"));
    if (g.concluido) throw new TinyError(400, "O agrupamento já foi concluído");
    g.concluido = true;
    for (const s of g.expedicoes) {
      s.situacao = "concluida";
      const o = s.pedidoId !== null ? ctx.state.orders.get(s.pedidoId) : undefined;
      // Sandbox choice: concluding the group readies its orders for dispatch (Pronto para envio).
      if (o && [0, 1, 3, 4].includes(o.situacao)) {
        o.situacao = 7;
        o.dataAtualizacao = spDateTime(ctx.clock.now());
        ctx.events.orderUpdated(o);
      }
    }
    ctx.reservations.invalidate();
    ctx.changed();
    return c.body(null, 200);
  });

  const labelUrl = (g: Grouping, s: Shipment) => `${ctx.settings.baseUrl}/_sandbox/etiquetas/${g.id}/${s.id}.pdf`;

  api.get("/expedicao/:idAgrupamento/etiquetas", (c) => {
    const g = getGrouping(ctx.state, pathId(c, "idAgrupamento"));
    return c.json({ urls: g.expedicoes.map((s) => labelUrl(g, s)) });
  });

  api.get("/expedicao/:idAgrupamento/expedicao/:idExpedicao/etiquetas", (c) => {
    const g = getGrouping(ctx.state, pathId(c, "idAgrupamento"));
    const idExpedicao = pathId(c, "idExpedicao");
    const s = g.expedicoes.find((x) => x.id === idExpedicao);
    if (!s) throw notFound("Expedição não encontrada");
    return c.json({ urls: [labelUrl(g, s)] });
  });
}
