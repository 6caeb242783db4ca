// A realistic integration session (catalogue, stock, customer, order lifecycle, invoice, shipping,
// receivables, quota exhaustion) sent through the Prism proxy. Every response's `sl-violations` header is kept
// with the call that produced it so the test can explain each one.

export interface PrismViolation {
  location: string[];
  severity: string;
  code?: string | number;
  message: string;
}

export interface ObservedViolation extends PrismViolation {
  method: string;
  /** Spec path template, e.g. /produtos/{idProduto}. */
  route: string;
  status: number;
}

export interface CallRecord {
  method: string;
  route: string;
  url: string;
  status: number;
  violations: PrismViolation[];
}

export interface ScenarioOptions {
  proxyUrl: string;
  accessToken: string;
  /** Called before the quota step so the sandbox can lower its limits (control endpoint). */
  lowerReadQuota: (perMinute: number) => Promise<void>;
}

export interface ScenarioResult {
  calls: CallRecord[];
  violations: ObservedViolation[];
}

function parseText(text: string): unknown {
  try {
    return text ? JSON.parse(text) : null;
  } catch {
    return text;
  }
}

export async function runContractScenario(opts: ScenarioOptions): Promise<ScenarioResult> {
  const calls: CallRecord[] = [];

  async function call(method: string, route: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
    const res = await fetch(`${opts.proxyUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${opts.accessToken}`, accept: "application/json", ...(body !== undefined ? { "content-type": "application/json" } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    const header = res.headers.get("sl-violations");
    const violations = header ? (JSON.parse(header) as PrismViolation[]) : [];
    calls.push({ method, route, url: path, status: res.status, violations });
    return { status: res.status, json: parseText(text) };
  }

  const expect = (cond: boolean, what: string) => {
    if (!cond) throw new Error(`contract scenario step failed: ${what}\n${JSON.stringify(calls.at(-1))}`);
  };
  const obj = (v: unknown) => v as Record<string, unknown>;
  const suffix = Date.now().toString(36);

  // Catalogue
  await call("GET", "/info", "/info");
  const list = await call("GET", "/produtos", "/produtos?limit=5&offset=0");
  expect(list.status === 200, "list products");
  const seeded = (obj(list.json).itens as Array<{ id: number; sku: string }>)[0];
  if (!seeded) throw new Error("no seeded product");
  await call("GET", "/produtos", `/produtos?codigo=${encodeURIComponent(seeded.sku)}`);
  await call("GET", "/produtos", "/produtos?situacao=A&limit=2&offset=2");
  await call("GET", "/produtos/{idProduto}", `/produtos/${seeded.id}`);

  const created = await call("POST", "/produtos", "/produtos", {
    sku: `CT-${suffix}`,
    descricao: "Camiseta Contrato Azul M",
    tipo: "S",
    unidade: "UN",
    origem: 0,
    ncm: "6109.10.00",
    gtin: "7891234567895",
    precos: { preco: 59.9, precoPromocional: 49.9, precoCusto: 20 },
    estoque: { controlar: true, sobEncomenda: false, inicial: 10 },
  });
  expect(created.status === 200, "create product");
  const productId = obj(created.json).id as number;
  await call("PUT", "/produtos/{idProduto}", `/produtos/${productId}`, { sku: `CT-${suffix}`, descricao: "Camiseta Contrato Azul M (rev)", observacoes: "revisado" });
  await call("PUT", "/produtos/{idProduto}/preco", `/produtos/${productId}/preco`, { preco: 64.9, precoPromocional: 54.9 });
  await call("GET", "/produtos/{idProduto}", `/produtos/${productId}`);

  const withVariations = await call("POST", "/produtos", "/produtos", {
    sku: `CTV-${suffix}`,
    descricao: "Tênis Contrato",
    tipo: "V",
    precos: { preco: 199.9 },
    variacoes: [
      { sku: `CTV-${suffix}-38`, precos: { preco: 199.9 }, estoque: { inicial: 3 }, grade: [{ chave: "Tamanho", valor: "38" }] },
      { sku: `CTV-${suffix}-39`, precos: { preco: 199.9 }, estoque: { inicial: 2 }, grade: [{ chave: "Tamanho", valor: "39" }] },
    ],
  });
  expect(withVariations.status === 200, "create product with variations");
  const parentId = obj(withVariations.json).id as number;
  const variation = await call("POST", "/produtos/{idProduto}/variacoes", `/produtos/${parentId}/variacoes`, {
    sku: `CTV-${suffix}-40`,
    estoque: { inicial: 1 },
    grade: [{ chave: "Tamanho", valor: "40" }],
  });
  expect(variation.status === 200, "add variation");
  await call("GET", "/produtos/{idProduto}", `/produtos/${parentId}`);

  const kit = await call("POST", "/produtos", "/produtos", { sku: `CTK-${suffix}`, descricao: "Kit Contrato", tipo: "K", kit: [{ produto: { id: productId }, quantidade: 2 }] });
  expect(kit.status === 200, "create kit");
  await call("GET", "/produtos/{idProduto}/kit", `/produtos/${obj(kit.json).id as number}/kit`);

  // Stock
  await call("GET", "/estoque/{idProduto}", `/estoque/${productId}`);
  const entrada = await call("POST", "/estoque/{idProduto}", `/estoque/${productId}`, { tipo: "E", quantidade: 5, precoUnitario: 20, observacoes: "Entrada NF 123" });
  expect(entrada.status === 200 && typeof obj(entrada.json).idLancamento === "number", "stock entry");
  await call("POST", "/estoque/{idProduto}", `/estoque/${productId}`, { tipo: "S", quantidade: 1, precoUnitario: 0 });
  await call("POST", "/estoque/{idProduto}", `/estoque/${productId}`, { tipo: "B", quantidade: 20, precoUnitario: 20, data: "2026-07-11 10:00:00" });
  await call("GET", "/estoque/{idProduto}", `/estoque/${productId}`);
  await call("GET", "/estoque/{idProduto}", `/estoque/${obj(kit.json).id as number}`);

  // Customer
  const cpf = "52998224725";
  await call("GET", "/contatos", `/contatos?cpfCnpj=${cpf}`);
  const contact = await call("POST", "/contatos", "/contatos", {
    nome: "Cliente Contrato",
    tipoPessoa: "F",
    cpfCnpj: cpf,
    email: "cliente@example.com",
    celular: "(11) 98888-7777",
    endereco: { endereco: "Rua A", numero: "10", bairro: "Centro", municipio: "São Paulo", cep: "01001-000", uf: "SP", pais: "Brasil" },
  });
  expect(contact.status === 200, "create contact");
  const contactId = obj(contact.json).id as number;
  await call("GET", "/contatos/{idContato}", `/contatos/${contactId}`);
  await call("PUT", "/contatos/{idContato}", `/contatos/${contactId}`, { telefone: "(11) 3333-4444" });
  await call("GET", "/contatos", `/contatos?cpfCnpj=${cpf}&limit=10`);
  await call("GET", "/contatos/tipos", "/contatos/tipos");
  const pessoa = await call("POST", "/contatos/{idContato}/pessoas", `/contatos/${contactId}/pessoas`, { nome: "Fulano", email: "fulano@example.com", setor: "Compras" });
  await call("GET", "/contatos/{idContato}/pessoas", `/contatos/${contactId}/pessoas`);
  await call("GET", "/contatos/{idContato}/pessoas/{idPessoa}", `/contatos/${contactId}/pessoas/${obj(pessoa.json).id as number}`);

  // Order lifecycle
  const marker = `ct-${suffix}`;
  const orderBody = {
    data: "2026-07-11",
    idContato: contactId,
    numeroOrdemCompra: `SHOP-${suffix}`,
    observacoes: `Pedido SHOP-${suffix}`,
    valorFrete: 12.5,
    itens: [{ produto: { id: productId }, quantidade: 2, valorUnitario: 64.9 }],
  };
  const order = await call("POST", "/pedidos", "/pedidos", orderBody);
  expect(order.status === 201 && typeof obj(order.json).numeroPedido === "string", "create order (201, string numeroPedido)");
  const orderId = obj(order.json).id as number;
  const duplicate = await call("POST", "/pedidos", "/pedidos", orderBody);
  expect(duplicate.status === 409 && obj(duplicate.json).id === undefined, "duplicate order → 409 without id");
  await call("POST", "/pedidos/{idPedido}/marcadores", `/pedidos/${orderId}/marcadores`, [{ descricao: marker }]);
  await call("GET", "/pedidos/{idPedido}/marcadores", `/pedidos/${orderId}/marcadores`);
  await call("GET", "/pedidos", `/pedidos?marcadores=${marker}`);
  await call("GET", "/pedidos", "/pedidos?situacao=0&limit=10");
  await call("GET", "/pedidos", "/pedidos?dataInicial=2026-07-01&dataFinal=2026-07-31&orderBy=desc");
  await call("GET", "/pedidos/{idPedido}", `/pedidos/${orderId}`);
  await call("PUT", "/pedidos/{idPedido}", `/pedidos/${orderId}`, { observacoesInternas: "conferido" });
  await call("PUT", "/pedidos/{idPedido}/situacao", `/pedidos/${orderId}/situacao`, { situacao: 3 });
  const launched = await call("POST", "/pedidos/{idPedido}/lancar-estoque", `/pedidos/${orderId}/lancar-estoque`);
  expect(launched.status === 204, "launch stock");
  const again = await call("POST", "/pedidos/{idPedido}/lancar-estoque", `/pedidos/${orderId}/lancar-estoque`);
  expect(again.status === 400, "second launch → 400 Estoque já lançado.");
  await call("POST", "/pedidos/{idPedido}/estornar-estoque", `/pedidos/${orderId}/estornar-estoque`);
  await call("POST", "/pedidos/{idPedido}/lancar-estoque", `/pedidos/${orderId}/lancar-estoque`);
  await call("PUT", "/pedidos/{idPedido}/despacho", `/pedidos/${orderId}/despacho`, { codigoRastreamento: "BR123456789BR", urlRastreamento: "https://rastreio.example/BR123456789BR" });
  await call("PUT", "/pedidos/{idPedido}/marcadores", `/pedidos/${orderId}/marcadores`, [{ descricao: marker }, { descricao: "site" }]);

  // Invoice
  const nota = await call("POST", "/pedidos/{idPedido}/gerar-nota-fiscal", `/pedidos/${orderId}/gerar-nota-fiscal`);
  expect(nota.status === 200, "generate invoice");
  const notaId = obj(nota.json).id as number;
  await call("GET", "/notas", "/notas?tipo=S&limit=10");
  await call("GET", "/notas/{idNota}", `/notas/${notaId}`);
  const emitted = await call("POST", "/notas/{idNota}/emitir", `/notas/${notaId}/emitir`, { enviarEmail: false });
  expect(emitted.status === 200 && String(obj(emitted.json).chaveAcesso).length === 44, "emit invoice");
  await call("GET", "/notas/{idNota}/link", `/notas/${notaId}/link`);
  await call("GET", "/notas/{idNota}/xml", `/notas/${notaId}/xml`);
  await call("GET", "/notas/{idNota}", `/notas/${notaId}`);
  await call("GET", "/pedidos/{idPedido}", `/pedidos/${orderId}`);

  // Shipping group and labels
  const group = await call("POST", "/expedicao", "/expedicao", { idsPedidos: [orderId] });
  expect(group.status === 200, "create shipping group");
  const groupId = obj(group.json).id as number;
  await call("GET", "/expedicao", "/expedicao");
  const groupDetail = await call("GET", "/expedicao/{idAgrupamento}", `/expedicao/${groupId}`);
  const shipmentId = ((obj(groupDetail.json).expedicoes as Array<{ id: number }>)[0] ?? { id: 0 }).id;
  await call("PUT", "/expedicao/{idAgrupamento}/expedicao/{idExpedicao}", `/expedicao/${groupId}/expedicao/${shipmentId}`, { volume: { pesoBruto: 0.4, largura: 20, altura: 5, comprimento: 30 } });
  await call("GET", "/expedicao/{idAgrupamento}/etiquetas", `/expedicao/${groupId}/etiquetas`);
  await call("GET", "/expedicao/{idAgrupamento}/expedicao/{idExpedicao}/etiquetas", `/expedicao/${groupId}/expedicao/${shipmentId}/etiquetas`);
  await call("POST", "/expedicao/{idAgrupamento}/concluir", `/expedicao/${groupId}/concluir`);

  // Receivables: posted from the order, read, paid in part, reversed.
  expect((await call("POST", "/pedidos/{idPedido}/lancar-contas", `/pedidos/${orderId}/lancar-contas`)).status === 204, "post receivables");
  await call("POST", "/notas/{idNota}/lancar-contas", `/notas/${notaId}/lancar-contas`);
  const receivables = await call("GET", "/contas-receber", `/contas-receber?idVenda=${orderId}&limit=10&offset=0`);
  const receivable = (obj(receivables.json).itens as Array<{ id: number; numeroDocumento: string }>)[0] ?? { id: 0, numeroDocumento: "" };
  expect(receivable.id > 0, "receivable of the order");
  await call("GET", "/contas-receber/{idContaReceber}", `/contas-receber/${receivable.id}`);
  await call("POST", "/contas-receber/{idContaReceber}/baixar", `/contas-receber/${receivable.id}/baixar`, { data: "11/07/2026", valorPago: 10 });
  await call("GET", "/contas-receber", `/contas-receber?situacao=parcial&dataInicialEmissao=2026-07-01&dataFinalEmissao=2026-07-31&orderBy=desc`);
  await call("GET", "/contas-receber", `/contas-receber?dataInicialVencimento=2026-07-01&dataFinalVencimento=2026-12-31&nomeCliente=Contrato`);
  await call("GET", "/contas-receber", `/contas-receber?numeroDocumento=${encodeURIComponent(receivable.numeroDocumento)}&idNota=${notaId}&marcadores=${marker}`);
  await call("GET", "/contas-receber/{idContaReceber}", `/contas-receber/${receivable.id}`);
  await call("POST", "/pedidos/{idPedido}/estornar-contas", `/pedidos/${orderId}/estornar-contas`);
  expect((await call("GET", "/contas-receber/{idContaReceber}", "/contas-receber/1")).status === 404, "unknown receivable → 404");

  // Registries needed to build orders
  const envios = await call("GET", "/formas-envio", "/formas-envio");
  const envioId = ((obj(envios.json).itens as Array<{ id: number }>)[0] ?? { id: 0 }).id;
  await call("GET", "/formas-envio/{idFormaEnvio}", `/formas-envio/${envioId}`);
  const formas = await call("GET", "/formas-pagamento", "/formas-pagamento?limit=10");
  await call("GET", "/formas-pagamento/{idFormaPagamento}", `/formas-pagamento/${((obj(formas.json).itens as Array<{ id: number }>)[0] ?? { id: 0 }).id}`);
  const intermediarios = await call("GET", "/intermediadores", "/intermediadores");
  await call("GET", "/intermediadores/{idIntermediador}", `/intermediadores/${((obj(intermediarios.json).itens as Array<{ id: number }>)[0] ?? { id: 0 }).id}`);

  // Errors the spec declares
  const missing = await call("GET", "/produtos/{idProduto}", "/produtos/1");
  expect(missing.status === 404, "unknown product → 404");
  const invalid = await call("POST", "/pedidos", "/pedidos", { idContato: 1, itens: [{ produto: { id: 1 }, quantidade: 1, valorUnitario: 1 }] });
  expect(invalid.status === 400 && Array.isArray(obj(invalid.json).detalhes), "invalid order → 400 ErrorDTO");

  // Quota: exhaust the read bucket, then the next read is a 429 with an empty body.
  await opts.lowerReadQuota(3);
  let limited = false;
  for (let i = 0; i < 6 && !limited; i++) limited = (await call("GET", "/produtos", "/produtos?limit=1")).status === 429;
  expect(limited, "read quota → 429");

  const violations = calls.flatMap((c) => c.violations.map((v) => ({ ...v, method: c.method, route: c.route, status: c.status })));
  return { calls, violations };
}
