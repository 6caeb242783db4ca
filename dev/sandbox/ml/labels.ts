import { crc32 } from "node:zlib";

// Label files are generated, not canned, so each one names its shipment and clients that parse or
// store labels get a real, openable file: a PDF for response_type=pdf, a ZIP holding a ZPL text
// file for zpl2 (ML zips ZPL; clients that expect raw ZPL break here just as they would live).

const pdfEscape = (s: string) => s.replace(/[\\()]/g, (ch) => `\\${ch}`);

export function buildLabelPdf(lines: string[][]): Buffer {
  const objects: string[] = [];
  const pageRefs: number[] = [];
  // 1 = catalog, 2 = pages, 3 = font; then a (page, content) pair per label.
  objects[3] = "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>";
  let next = 4;
  for (const page of lines) {
    const pageId = next++;
    const contentId = next++;
    pageRefs.push(pageId);
    const text = page.map((l, i) => `BT /F1 ${i === 0 ? 16 : 11} Tf 24 ${380 - i * 24} Td (${pdfEscape(l)}) Tj ET`).join("\n");
    objects[contentId] = `<< /Length ${Buffer.byteLength(text, "latin1")} >>\nstream\n${text}\nendstream`;
    objects[pageId] = `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 288 432] /Resources << /Font << /F1 3 0 R >> >> /Contents ${contentId} 0 R >>`;
  }
  objects[1] = "<< /Type /Catalog /Pages 2 0 R >>";
  objects[2] = `<< /Type /Pages /Kids [${pageRefs.map((p) => `${p} 0 R`).join(" ")}] /Count ${pageRefs.length} >>`;
  let out = "%PDF-1.4\n";
  const offsets: number[] = [];
  for (let i = 1; i < objects.length; i++) {
    offsets[i] = Buffer.byteLength(out, "latin1");
    out += `${i} 0 obj\n${objects[i]}\nendobj\n`;
  }
  const xref = Buffer.byteLength(out, "latin1");
  out += `xref\n0 ${objects.length}\n0000000000 65535 f \n`;
  for (let i = 1; i < objects.length; i++) out += `${String(offsets[i]).padStart(10, "0")} 00000 n \n`;
  out += `trailer\n<< /Size ${objects.length} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, "latin1");
}

export function buildZpl(lines: string[][]): string {
  return lines
    .map((page) => ["^XA", "^CI28", ...page.map((l, i) => `^FO40,${40 + i * 50}^A0N,${i === 0 ? 40 : 28},${i === 0 ? 40 : 28}^FD${l.replace(/[\^~]/g, " ")}^FS`), "^XZ"].join("\n"))
    .join("\n");
}

/** Single-file ZIP, stored (no compression): enough for any unzip implementation. */
export function buildZip(name: string, content: Buffer): Buffer {
  const nameBuf = Buffer.from(name, "utf8");
  const crc = crc32(content);
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(20, 4);
  local.writeUInt16LE(0, 6);
  local.writeUInt16LE(0, 8);
  local.writeUInt16LE(0, 10);
  local.writeUInt16LE(0x21, 12);
  local.writeUInt32LE(crc, 14);
  local.writeUInt32LE(content.length, 18);
  local.writeUInt32LE(content.length, 22);
  local.writeUInt16LE(nameBuf.length, 26);
  local.writeUInt16LE(0, 28);
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE(20, 4);
  central.writeUInt16LE(20, 6);
  central.writeUInt16LE(0, 8);
  central.writeUInt16LE(0, 10);
  central.writeUInt16LE(0, 12);
  central.writeUInt16LE(0x21, 14);
  central.writeUInt32LE(crc, 16);
  central.writeUInt32LE(content.length, 20);
  central.writeUInt32LE(content.length, 24);
  central.writeUInt16LE(nameBuf.length, 28);
  central.writeUInt32LE(0, 42);
  const centralOffset = local.length + nameBuf.length + content.length;
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(1, 8);
  end.writeUInt16LE(1, 10);
  end.writeUInt32LE(central.length + nameBuf.length, 12);
  end.writeUInt32LE(centralOffset, 16);
  return Buffer.concat([local, nameBuf, content, central, nameBuf, end]);
}
