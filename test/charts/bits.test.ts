/**
 * The bit-layout picture (a header's flags, as the RFCs draw them): where each
 * field sits, the bits it reads out of the bytes, and the text alternative that
 * says the same in words.
 */
import { describe, expect, it } from "vitest";
import { bitLayoutChart, placeFields } from "../../lib/src/charts/bits";
import { chartText } from "../../lib/src/charts/describe";
import { renderSvg } from "../../lib/src/charts/render";
import { HEADER_FLAG_BITS } from "../../lib/src/dns/wire/annotate";
import { isAppLayerError } from "../../lib/src/errors";

const byName = (bytes: number[]) => Object.fromEntries(placeFields(HEADER_FLAG_BITS, 16, Uint8Array.from(bytes)).map((f) => [f.name, [f.binary, f.value]]));

describe("placeFields", () => {
  it("lays out the DNS flags left to right, from bit 0, with no gap", () => {
    expect(placeFields(HEADER_FLAG_BITS, 16).map((f) => [f.name, f.bit, f.width])).toEqual([
      ["QR", 0, 1], ["OPCODE", 1, 4], ["AA", 5, 1], ["TC", 6, 1], ["RD", 7, 1], ["RA", 8, 1], ["Z", 9, 1], ["AD", 10, 1], ["CD", 11, 1], ["RCODE", 12, 4],
    ]);
  });

  it("reads each field out of the bytes: a recursive NXDOMAIN reply's 81 83", () => {
    expect(byName([0x81, 0x83])).toMatchObject({ QR: ["1", 1], OPCODE: ["0000", 0], AA: ["0", 0], RD: ["1", 1], RA: ["1", 1], AD: ["0", 0], RCODE: ["0011", 3] });
  });

  it("reads a field in the middle of a byte: opcode 5 (UPDATE) with TC, 2a 00", () => {
    expect(byName([0x2a, 0x00])).toMatchObject({ QR: ["0", 0], OPCODE: ["0101", 5], AA: ["0", 0], TC: ["1", 1], RD: ["0", 0] });
  });

  it("gives the bits no field names a box of their own, so nothing is hidden", () => {
    const boxes = placeFields([{ name: "flag", bit: 2, width: 1 }], 8, Uint8Array.of(0xff));
    expect(boxes.map((f) => [f.name, f.bit, f.width, f.binary])).toEqual([["", 0, 2, "11"], ["flag", 2, 1, "1"], ["", 3, 5, "11111"]]);
  });

  const refused: Array<[string, () => unknown]> = [
    ["bytes that are not the layout's width", () => placeFields(HEADER_FLAG_BITS, 16, Uint8Array.of(0x81))],
    ["overlapping fields", () => placeFields([{ name: "a", bit: 0, width: 3 }, { name: "b", bit: 2, width: 1 }], 8)],
    ["a field past the end", () => placeFields([{ name: "a", bit: 6, width: 3 }], 8)],
    ["a field of no bits", () => placeFields([{ name: "a", bit: 0, width: 0 }], 8)],
    ["more than 32 bits", () => placeFields([], 40)],
  ];
  it.each(refused)("refuses %s with BAD_ARGUMENT", (_what, call) => {
    let code: string | undefined;
    try { call(); } catch (e) { code = isAppLayerError(e) ? e.code : "not an AppLayerError"; }
    expect(code).toBe("BAD_ARGUMENT");
  });
});

describe("bitLayoutChart", () => {
  it("says every field, its bits and its value in its text alternative", () => {
    const text = chartText(bitLayoutChart(HEADER_FLAG_BITS, { bytes: Uint8Array.of(0x81, 0x83), title: "DNS header flags" }));
    expect(text.name).toBe("DNS header flags");
    expect(text.description).toContain("0x8183");
    expect(text.summary).toBe("QR (bit 0) = 1; OPCODE (bits 1–4) = 0000 (0); AA (bit 5) = 0; TC (bit 6) = 0; RD (bit 7) = 1; RA (bit 8) = 1; Z (bit 9) = 0; AD (bit 10) = 0; CD (bit 11) = 0; RCODE (bits 12–15) = 0011 (3).");
  });

  it("without bytes, gives the layout alone", () => {
    expect(chartText(bitLayoutChart(HEADER_FLAG_BITS)).summary).toMatch(/^QR \(bit 0\); OPCODE \(bits 1–4\); .*RCODE \(bits 12–15\)\.$/);
  });

  it("draws every field's name and every bit's digit in the SVG", async () => {
    const svg = await renderSvg(bitLayoutChart(HEADER_FLAG_BITS, { bytes: Uint8Array.of(0x81, 0x83) }));
    expect(svg).toMatch(/role="img"/);
    for (const f of HEADER_FLAG_BITS) expect(svg).toContain(`>${f.name}</text>`);
    // Sixteen digits, five of them 1s (QR, RD, RA and RCODE's 0011), plus the bit numbers 0 and 1 above the boxes.
    expect(svg.match(/>1<\/text>/g)!.length).toBe(5 + 1);
    expect(svg.match(/>0<\/text>/g)!.length).toBe(11 + 1);
  });
});
