import { AppLayerError } from "../errors";
import { BitField, readBits } from "../lab/hexdump";
import { CHART_CONFIG, VEGALITE_SCHEMA } from "./specs";
import { VegaLiteSpec } from "./render";

/** One box of a bit layout: a field (or a run of bits no field names), and the bits it holds in the bytes drawn. */
export interface PlacedField extends BitField {
  /** The field's bits as binary digits, and as a number (only when bytes are given). */
  binary?: string;
  value?: number;
}

/** A layout wider than this would not fit a page: draw a wider header one 32-bit row at a time. */
export const MAX_LAYOUT_BITS = 32;

/**
 * The boxes of a layout of `totalBits` bits, left to right: the fields (the
 * hexdump's {@link BitField}s, bit 0 at the left as RFC diagrams number them),
 * with any run of bits no field names as a box of its own named "", and each
 * field's bits read out of `bytes` when given. Overlapping fields are refused.
 *
 * @example placeFields([{ name: "QR", bit: 0, width: 1 }, { name: "OPCODE", bit: 1, width: 4 }], 8, Uint8Array.of(0x88))[1] // { name: "OPCODE", bit: 1, width: 4, binary: "0001", value: 1 }
 */
export function placeFields(fields: BitField[], totalBits: number, bytes?: Uint8Array): PlacedField[] {
  if (!Number.isInteger(totalBits) || totalBits < 1 || totalBits > MAX_LAYOUT_BITS || (bytes && bytes.length * 8 !== totalBits)) {
    throw new AppLayerError("BAD_ARGUMENT", `a bit layout is 1 to ${MAX_LAYOUT_BITS} bits, and its bytes exactly that many bits`, { totalBits, bytes: bytes?.length });
  }
  const sorted = [...fields].sort((a, b) => a.bit - b.bit);
  const boxes: BitField[] = [];
  let next = 0;
  for (const f of sorted) {
    if (!Number.isInteger(f.width) || f.width < 1 || f.bit < next || f.bit + f.width > totalBits) {
      throw new AppLayerError("BAD_ARGUMENT", `field ${f.name} (bits ${f.bit}+${f.width}) overlaps another or leaves the ${totalBits} bits`, { field: f });
    }
    if (f.bit > next) boxes.push({ name: "", bit: next, width: f.bit - next });
    boxes.push(f);
    next = f.bit + f.width;
  }
  if (next < totalBits) boxes.push({ name: "", bit: next, width: totalBits - next });
  if (!bytes) return boxes.map((f) => ({ ...f }));
  return boxes.map((f) => {
    const value = readBits(bytes, f);
    return { ...f, value, binary: value.toString(2).padStart(f.width, "0") };
  });
}

/** A field's place in words: "bit 0" or "bits 1–4". */
const where = (f: PlacedField) => (f.width === 1 ? `bit ${f.bit}` : `bits ${f.bit}–${f.bit + f.width - 1}`);

/**
 * A field layout drawn as the RFCs draw it: one box per field, as wide as its
 * bits, numbered from 0 at the left. Given bytes, each bit's 0 or 1 is written
 * in its place, set bits shaded, and a field of several bits shows its number too.
 * The text alternative lists the fields in order, with their bits and values.
 *
 * @example await show(bitLayoutChart(HEADER_FLAG_BITS, { bytes: reply.subarray(2, 4), title: "DNS header flags" }));
 */
export function bitLayoutChart(fields: BitField[], options: { bytes?: Uint8Array; totalBits?: number; title?: string; subtitle?: string; bitPx?: number } = {}): VegaLiteSpec {
  const total = options.bytes ? options.bytes.length * 8 : (options.totalBits ?? Math.max(...fields.map((f) => f.bit + f.width)));
  const placed = placeFields(fields, total, options.bytes);
  const filled = options.bytes !== undefined;
  const bits = Array.from({ length: total }, (_, i) => {
    const field = placed.find((f) => i < f.bit + f.width)!;
    const digit = filled ? field.binary![i - field.bit] : "";
    return { bit: i, centre: i + 0.5, digit, set: digit === "1" };
  });
  const boxes = placed.map((f) => ({ ...f, start: f.bit, end: f.bit + f.width, centre: f.bit + f.width / 2, number: filled && f.width > 1 && f.name ? `= ${f.value}` : "" }));
  const x = { type: "quantitative", scale: { domain: [0, total] }, axis: null } as const;
  const y = { type: "quantitative", scale: { domain: [-0.55, 1.45] }, axis: null } as const;
  const summary = placed.map((f) => `${f.name || "unnamed"} (${where(f)})${filled ? ` = ${f.binary}${f.width > 1 ? ` (${f.value})` : ""}` : ""}`).join("; ") + ".";
  const hex = filled ? `0x${Buffer.from(options.bytes!).toString("hex")}` : "";
  return {
    $schema: VEGALITE_SCHEMA,
    description: `The layout of ${total} bits, numbered from 0 at the left (the most significant): ${placed.length} fields, one box each, as wide as its bits${filled ? `, filled in with the bits of ${hex}` : ""}.`,
    title: options.title ? { text: options.title, subtitle: options.subtitle ?? "" } : undefined,
    width: (options.bitPx ?? 40) * total,
    height: 130,
    config: CHART_CONFIG,
    // Its summary is the fields in order (chartText would otherwise read the drawing's coordinates).
    usermeta: { tooltip: false, summary },
    layer: [
      {
        data: { values: bits },
        layer: [
          // Set bits shaded grey; the digit written in the box says it too, so shading is never the only cue.
          { transform: [{ filter: "datum.set" }], mark: { type: "rect", color: "#d9d9d9" }, encoding: { x: { field: "bit", ...x }, x2: { field: "end" }, y: { datum: 0, ...y }, y2: { datum: 0.55 } } },
          { mark: { type: "text", fontSize: 10, color: "#666", baseline: "bottom" }, encoding: { x: { field: "centre", ...x }, y: { datum: 1.08, ...y }, text: { field: "bit" } } },
          ...(filled ? [{ mark: { type: "text", fontSize: 15, font: "Menlo, Consolas, monospace", fontWeight: "bold" }, encoding: { x: { field: "centre", ...x }, y: { datum: 0.27, ...y }, text: { field: "digit" } } }] : []),
        ],
        transform: [{ calculate: "datum.bit + 1", as: "end" }],
      },
      {
        data: { values: boxes },
        layer: [
          { mark: { type: "rect", fill: null, stroke: "#222", strokeWidth: 1.5 }, encoding: { x: { field: "start", ...x }, x2: { field: "end" }, y: { datum: 0, ...y }, y2: { datum: 1 } } },
          { mark: { type: "text", fontSize: 13, fontWeight: "bold" }, encoding: { x: { field: "centre", ...x }, y: { datum: filled ? 0.75 : 0.5, ...y }, text: { field: "name" } } },
          ...(filled ? [{ mark: { type: "text", fontSize: 11, color: "#444", baseline: "top" }, encoding: { x: { field: "centre", ...x }, y: { datum: -0.12, ...y }, text: { field: "number" } } }] : []),
        ],
      },
    ],
  };
}
