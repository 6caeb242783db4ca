// The whole Tiny account lives in one plain, JSON-serialisable object so it can be snapshotted to
// Postgres and restored byte-for-byte; Maps are used for O(1) lookups and flattened on snapshot.

export interface Endereco {
  endereco: string;
  numero: string;
  complemento: string;
  bairro: string;
  municipio: string;
  cep: string;
  uf: string;
  pais: string;
}

export const emptyEndereco = (): Endereco => ({ endereco: "", numero: "", complemento: "", bairro: "", municipio: "", cep: "", uf: "", pais: "" });

export interface Account {
  /** Quota and fault scope; one sandbox serves one Tiny account. */
  id: string;
  razaoSocial: string;
  fantasia: string;
  /** Digits only; /info formats it, webhooks send it raw. */
  cnpj: string;
  inscricaoEstadual: string;
  regimeTributario: 1 | 2 | 3 | 4;
  fone: string;
  email: string;
  endereco: Endereco;
  /** Accounts without the reservation module report `disponivel` as a constant 0 (seen in the wild). */
  disponivelSempreZero: boolean;
}

export interface Deposit {
  id: number;
  descricao: string;
  tipo: "P" | "E";
  desconsideraSaldo: boolean;
  padrao: boolean;
  possuiReserva: boolean;
}

export interface NamedRef {
  id: number;
  nome: string;
}

export type ProductType = "S" | "V" | "K" | "F" | "M";

export interface Product {
  id: number;
  sku: string;
  descricao: string;
  descricaoComplementar: string;
  tipo: ProductType;
  situacao: "A" | "I" | "E";
  dataCriacao: string;
  dataAlteracao: string | null;
  unidade: string;
  unidadePorCaixa: string;
  ncm: string;
  gtin: string;
  origem: number;
  garantia: string;
  observacoes: string;
  marca: NamedRef | null;
  categoria: { id: number; nome: string; caminhoCompleto: string } | null;
  precos: { preco: number; precoPromocional: number; precoCusto: number; precoCustoMedio: number };
  dimensoes: {
    embalagem: { id: number; tipo: number; descricao: string } | null;
    largura: number;
    altura: number;
    comprimento: number;
    diametro: number;
    pesoLiquido: number;
    pesoBruto: number;
    quantidadeVolumes: number;
  };
  estoque: { controlar: boolean; sobEncomenda: boolean; diasPreparacao: number; localizacao: string; minimo: number; maximo: number };
  fornecedores: Array<{ id: number; nome: string; codigoProdutoNoFornecedor: string }>;
  seo: { titulo: string; descricao: string; keywords: string[]; linkVideo: string; slug: string };
  tributacao: { gtinEmbalagem: string; valorIPIFixo: number; classeIPI: string };
  anexos: Array<{ url: string; externo: boolean }>;
  /** Variations are products of their own (own id, SKU and stock) linked to a parent. */
  parentId: number | null;
  grade: Array<{ chave: string; valor: string }>;
  variationIds: number[];
  kit: Array<{ produtoId: number; quantidade: number }>;
  producao: { produtos: Array<{ produtoId: number; quantidade: number }>; etapas: string[] };
}

export interface StockMovement {
  id: number;
  idProduto: number;
  idDeposito: number;
  tipo: "B" | "E" | "S";
  quantidade: number;
  preco: number;
  data: string;
  observacao: string;
  origem: "api" | "pedido" | "nota" | "sandbox";
  idOrigem: number | null;
  saldoAnterior: number;
  saldoPosterior: number;
}

export interface Pessoa {
  id: number;
  nome: string;
  telefone: string;
  ramal: string;
  email: string;
  setor: string;
}

export interface Contact {
  id: number;
  nome: string;
  codigo: string;
  fantasia: string;
  tipoPessoa: "J" | "F" | "E" | "X";
  cpfCnpj: string;
  inscricaoEstadual: string;
  rg: string;
  telefone: string;
  celular: string;
  email: string;
  endereco: Endereco;
  enderecoCobranca: Endereco;
  inscricaoMunicipal: string;
  telefoneAdicional: string;
  emailNfe: string;
  site: string;
  regimeTributario: number | null;
  estadoCivil: number | null;
  profissao: string;
  sexo: "masculino" | "feminino" | null;
  dataNascimento: string;
  naturalidade: string;
  nomePai: string;
  nomeMae: string;
  cpfPai: string;
  cpfMae: string;
  limiteCredito: number;
  situacao: "B" | "A" | "I" | "E";
  observacoes: string;
  vendedorId: number | null;
  tipos: number[];
  pessoas: Pessoa[];
  dataCriacao: string;
  dataAtualizacao: string;
}

export interface OrderItem {
  produtoId: number;
  sku: string;
  descricao: string;
  quantidade: number;
  valorUnitario: number;
  infoAdicional: string;
}

export interface Parcela {
  dias: number;
  data: string;
  valor: number;
  observacoes: string;
  formaPagamento: NamedRef;
  meioPagamento: NamedRef;
}

export interface Order {
  id: number;
  numeroPedido: number;
  situacao: number;
  data: string;
  dataPrevista: string;
  dataEnvio: string;
  dataEntrega: string;
  dataFaturamento: string;
  numeroOrdemCompra: string;
  observacoes: string;
  observacoesInternas: string;
  valorDesconto: number;
  valorFrete: number;
  valorOutrasDespesas: number;
  idContato: number;
  enderecoEntrega: Endereco & { nomeDestinatario: string; cpfCnpj: string; tipoPessoa: string };
  ecommerce: { id: number; nome: string; numeroPedidoEcommerce: string; numeroPedidoCanalVenda: string; canalVenda: string };
  transportador: {
    id: number;
    nome: string;
    fretePorConta: string;
    formaEnvio: NamedRef;
    formaFrete: NamedRef;
    codigoRastreamento: string;
    urlRastreamento: string;
  };
  depositoId: number;
  vendedorId: number;
  naturezaOperacao: NamedRef;
  intermediadorId: number;
  listaPreco: { id: number; nome: string; acrescimoDesconto: number };
  pagamento: { formaPagamento: NamedRef; meioPagamento: NamedRef; condicaoPagamento: string; parcelas: Parcela[] };
  itens: OrderItem[];
  marcadores: string[];
  /** What was posted to stock, so a reversal returns exactly that even if items changed since. */
  estoqueLancado: Array<{ produtoId: number; depositoId: number; quantidade: number }> | null;
  idNotaFiscal: number;
  dataCriacao: string;
  dataAtualizacao: string;
}

export interface InvoiceItem {
  idProduto: number;
  codigo: string;
  descricao: string;
  unidade: string;
  quantidade: number;
  valorUnitario: number;
  valorTotal: number;
  cfop: string;
}

export interface Invoice {
  id: number;
  numero: number;
  serie: number;
  /** 55 NF-e or 65 NFC-e; fixed at generation, embedded in the access key at emission. */
  modelo: number;
  tipo: "E" | "S";
  situacao: number;
  finalidade: number;
  chaveAcesso: string;
  dataEmissao: string;
  dataInclusao: string;
  idPedido: number | null;
  idContato: number;
  valorProdutos: number;
  valorFrete: number;
  valorDesconto: number;
  valor: number;
  itens: InvoiceItem[];
  marcadores: string[];
  xml: string;
}

export interface Shipment {
  id: number;
  data: string;
  situacao: string;
  pedidoId: number | null;
  notaId: number | null;
  destinatarioId: number;
  descricao: string;
  volume: {
    embalagem: { id: number; tipo: number; descricao: string };
    largura: number;
    altura: number;
    comprimento: number;
    diametro: number;
    pesoBruto: number;
    quantidadeVolumes: number;
  };
  logistica: {
    codigoRastreio: string;
    urlRastreio: string;
    possuiValorDeclarado: boolean;
    valorDeclarado: number;
    possuiAvisoRecebimento: boolean;
    formaFrete: NamedRef;
  };
}

export interface Grouping {
  id: number;
  identificacao: string;
  data: string;
  formaEnvio: NamedRef;
  concluido: boolean;
  expedicoes: Shipment[];
}

/** Contas a receber situação as the spec spells it. */
export type ReceivableSituacao = "aberto" | "cancelada" | "pago" | "parcial" | "prevista";

/** One conta a receber; posted from an order (idVenda) or an invoice (idNota), or created alone. */
export interface Receivable {
  id: number;
  situacao: ReceivableSituacao;
  /** Emission date, "YYYY-MM-DD". */
  data: string;
  dataVencimento: string;
  dataCompetencia: string;
  /** "" until paid. */
  dataLiquidacao: string;
  numeroDocumento: string;
  serieDocumento: string;
  numeroBanco: string;
  ocorrencia: "U" | "P";
  quantidadeParcelas: number;
  valor: number;
  valorPago: number;
  idContato: number;
  categoria: { id: number; descricao: string };
  formaRecebimento: NamedRef;
  historico: string;
  idVenda: number | null;
  idNota: number | null;
  marcadores: string[];
}

export interface OAuthCode {
  code: string;
  clientId: string;
  redirectUri: string;
  codeChallenge: string | null;
  codeChallengeMethod: string | null;
  expiresAt: number;
  used: boolean;
  sessionId: string;
}

export interface OAuthSession {
  id: string;
  clientId: string;
  createdAt: number;
  active: boolean;
  /** Only the newest refresh token of a session is accepted (rotation). */
  refreshJti: string;
  refreshExpiresAt: number;
}

export interface FormaFrete {
  id: number;
  nome: string;
  codigo: string;
  codigoExterno: string;
  /** 0 não definida, 1 normal, 2 expressa, …, 6 retirada. */
  tipoEntrega: number;
}

export interface Lookups {
  ecommerces: NamedRef[];
  formasEnvio: Array<NamedRef & { situacao: number; tipo: number; formasFrete: FormaFrete[] }>;
  formasPagamento: Array<NamedRef & { situacao: number }>;
  meiosPagamento: NamedRef[];
  intermediadores: Array<NamedRef & { cnpj: string }>;
  naturezasOperacao: NamedRef[];
  vendedores: NamedRef[];
  tiposContato: Array<{ id: number; nome: string; perfilContato: string }>;
}

export interface TinyState {
  seed: number;
  account: Account;
  lookups: Lookups;
  /** One counter for every entity, like Tiny's globally unique ids. */
  nextId: number;
  nextNumeroPedido: number;
  nextNumeroNota: number;
  deposits: Deposit[];
  products: Map<number, Product>;
  skuIndex: Map<string, number>;
  /** productId → depositId → physical balance. */
  stock: Map<number, Map<number, number>>;
  movements: StockMovement[];
  contacts: Map<number, Contact>;
  orders: Map<number, Order>;
  /** Payload hash → expiry (ms) of the duplicate-order window. */
  orderHashes: Map<string, number>;
  invoices: Map<number, Invoice>;
  groupings: Map<number, Grouping>;
  receivables: Map<number, Receivable>;
  oauthCodes: Map<string, OAuthCode>;
  oauthSessions: Map<string, OAuthSession>;
}

export function allocateId(state: TinyState): number {
  return state.nextId++;
}

export function defaultDeposit(state: TinyState): Deposit {
  const dep = state.deposits.find((d) => d.padrao) ?? state.deposits[0];
  if (!dep) throw new Error("account has no deposit");
  return dep;
}

export function totalSaldo(state: TinyState, productId: number): number {
  const byDeposit = state.stock.get(productId);
  if (!byDeposit) return 0;
  let total = 0;
  for (const dep of state.deposits) if (!dep.desconsideraSaldo) total += byDeposit.get(dep.id) ?? 0;
  return total;
}

export function saldoIn(state: TinyState, productId: number, depositId: number): number {
  return state.stock.get(productId)?.get(depositId) ?? 0;
}

export function setSaldo(state: TinyState, productId: number, depositId: number, saldo: number): void {
  let byDeposit = state.stock.get(productId);
  if (!byDeposit) {
    byDeposit = new Map();
    state.stock.set(productId, byDeposit);
  }
  byDeposit.set(depositId, round(saldo));
}

/** Money and quantities are floats on the wire; rounding avoids 0.1+0.2 artefacts in balances. */
export function round(n: number, digits = 4): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

interface Snapshot {
  version: 1;
  seed: number;
  account: Account;
  lookups: Lookups;
  nextId: number;
  nextNumeroPedido: number;
  nextNumeroNota: number;
  deposits: Deposit[];
  products: Product[];
  stock: Array<[number, Array<[number, number]>]>;
  movements: StockMovement[];
  contacts: Contact[];
  orders: Order[];
  orderHashes: Array<[string, number]>;
  invoices: Invoice[];
  groupings: Grouping[];
  /** Absent in snapshots taken before the sandbox had finance. */
  receivables?: Receivable[];
  oauthCodes: OAuthCode[];
  oauthSessions: OAuthSession[];
}

export function toSnapshot(state: TinyState): Snapshot {
  return {
    version: 1,
    seed: state.seed,
    account: state.account,
    lookups: state.lookups,
    nextId: state.nextId,
    nextNumeroPedido: state.nextNumeroPedido,
    nextNumeroNota: state.nextNumeroNota,
    deposits: state.deposits,
    products: [...state.products.values()],
    stock: [...state.stock].map(([pid, deps]) => [pid, [...deps]]),
    movements: state.movements,
    contacts: [...state.contacts.values()],
    orders: [...state.orders.values()],
    orderHashes: [...state.orderHashes],
    invoices: [...state.invoices.values()],
    groupings: [...state.groupings.values()],
    receivables: [...state.receivables.values()],
    oauthCodes: [...state.oauthCodes.values()],
    oauthSessions: [...state.oauthSessions.values()],
  };
}

export function fromSnapshot(raw: unknown): TinyState {
  const s = raw as Snapshot;
  if (!s || s.version !== 1) throw new Error("unsupported Tiny sandbox snapshot");
  const byId = <T extends { id: number }>(rows: T[]) => new Map(rows.map((r) => [r.id, r]));
  const products = byId(s.products);
  return {
    seed: s.seed,
    account: s.account,
    lookups: s.lookups,
    nextId: s.nextId,
    nextNumeroPedido: s.nextNumeroPedido,
    nextNumeroNota: s.nextNumeroNota,
    deposits: s.deposits,
    products,
    skuIndex: new Map([...products.values()].filter((p) => p.situacao !== "E").map((p) => [p.sku, p.id])),
    stock: new Map(s.stock.map(([pid, deps]) => [pid, new Map(deps)])),
    movements: s.movements,
    contacts: byId(s.contacts),
    orders: byId(s.orders),
    orderHashes: new Map(s.orderHashes),
    invoices: byId(s.invoices),
    groupings: byId(s.groupings),
    receivables: byId(s.receivables ?? []),
    oauthCodes: new Map(s.oauthCodes.map((c) => [c.code, c])),
    oauthSessions: new Map(s.oauthSessions.map((x) => [x.id, x])),
  };
}
