/** A named bit range inside a field, counted from the field's most significant bit. */
export interface BitField {
  name: string;
  /** Position of the first bit, 0 = the field's most significant bit. */
  bit: number;
  width: number;
}

/** A named run of bytes in a message, optionally split into bit fields. */
export interface HexField {
  name: string;
  offset: number;
  length: number;
  /** What the bytes mean, e.g. "1 question" or "gaia.cs.umass.edu". */
  meaning?: string;
  bits?: BitField[];
}

const hex = (b: number) => b.toString(16).padStart(2, "0");

/** The value of `bits` inside the big-endian number made of `bytes`. */
export function readBits(bytes: Uint8Array, f: BitField): number {
  let v = 0n;
  for (const b of bytes) v = (v << 8n) | BigInt(b);
  const total = BigInt(bytes.length * 8);
  return Number((v >> (total - BigInt(f.bit + f.width))) & ((1n << BigInt(f.width)) - 1n));
}

/**
 * Prints bytes field by field: offset, the field's bytes in hex, its name and
 * meaning, and each bit field's value. Bytes no field claims are listed as
 * "(unlabelled)", so nothing in the message is hidden.
 *
 * @example
 * console.log(annotatedHexdump(Buffer.from([0x12, 0x34, 0x81, 0x80]), [
 *   { name: "id", offset: 0, length: 2 },
 *   { name: "flags", offset: 2, length: 2, bits: [{ name: "QR", bit: 0, width: 1 }, { name: "RCODE", bit: 12, width: 4 }] },
 * ]));
 * // 0000  12 34   id
 * // 0002  81 80   flags  QR=1 RCODE=0
 */
export function annotatedHexdump(data: Uint8Array, fields: HexField[], bytesPerLine = 8): string {
  const sorted = [...fields].sort((a, b) => a.offset - b.offset);
  const rows: Array<{ offset: number; bytes: Uint8Array; text: string }> = [];
  let pos = 0;
  const gap = (end: number) => {
    if (end > pos) rows.push({ offset: pos, bytes: data.subarray(pos, end), text: "(unlabelled)" });
  };
  for (const f of sorted) {
    gap(f.offset);
    const bytes = data.subarray(f.offset, f.offset + f.length);
    const bits = f.bits?.map((b) => `${b.name}=${readBits(bytes, b)}`).join(" ");
    rows.push({ offset: f.offset, bytes, text: [f.name, f.meaning, bits].filter(Boolean).join("  ") });
    pos = Math.max(pos, f.offset + f.length);
  }
  gap(data.length);
  const width = bytesPerLine * 3 - 1;
  const lines: string[] = [];
  for (const r of rows) {
    for (let i = 0; i < Math.max(1, r.bytes.length); i += bytesPerLine) {
      const chunk = [...r.bytes.subarray(i, i + bytesPerLine)].map(hex).join(" ").padEnd(width);
      const off = (r.offset + i).toString(16).padStart(4, "0");
      lines.push(`${off}  ${chunk}  ${i === 0 ? r.text : "…"}`.trimEnd());
    }
  }
  return lines.join("\n");
}
