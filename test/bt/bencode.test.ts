import { describe, expect, it } from "vitest";
import { decodeBencode, encodeBencode, MAX_BENCODE_DEPTH } from "../../lib/src/bt/bencode";
import { isAppLayerError } from "../../lib/src/errors";
import { Random } from "../../lib/src/sim/random";

const dec = (s: string) => decodeBencode(Buffer.from(s, "latin1"));
const code = (f: () => unknown) => {
  try {
    f();
    return "ok";
  } catch (e) {
    return isAppLayerError(e) ? `${e.code}: ${e.message}` : `crash: ${(e as Error).message}`;
  }
};

describe("bencode", () => {
  it("decodes BEP 3's examples", () => {
    expect(dec("4:spam")).toEqual(Buffer.from("spam"));
    expect(dec("i3e")).toBe(3);
    expect(dec("i-3e")).toBe(-3);
    expect(dec("l4:spam4:eggse")).toEqual([Buffer.from("spam"), Buffer.from("eggs")]);
    expect({ ...(dec("d3:cow3:moo4:spam4:eggse") as object) }).toEqual({ cow: Buffer.from("moo"), spam: Buffer.from("eggs") });
    expect(dec("0:")).toEqual(Buffer.alloc(0));
  });
  it("encodes with keys sorted as raw bytes, and round-trips", () => {
    const v = { zeta: 1, alpha: [Buffer.from("x"), "y"], "Z": { b: 2, a: "é" } };
    const bytes = encodeBencode(v);
    expect(bytes.toString("latin1")).toBe("d1:Zd1:a2:\u00c3\u00a91:bi2ee5:alphal1:x1:ye4:zetai1ee");
    expect(encodeBencode(decodeBencode(bytes))).toEqual(bytes);
  });
  it.each([
    ["i03e", /canonical/], ["i-0e", /canonical/], ["ie", /canonical/], ["i1", /closing 'e'/], ["03:abc", /canonical/],
    ["5:abc", /runs past the end/], ["l", /closing 'e'/], ["d1:b1:x1:a1:ye", /out of order/], ["d1:a1:x1:a1:ye", /repeated/],
    ["di1e1:xe", /key must be a byte string/], ["i1ei2e", /trailing bytes/], ["x", /unexpected byte/], ["", /ends where a value should start/],
    ["i99999999999999999999e", /too large/],
  ])("refuses %s with a clear BENCODE error", (input, message) => {
    const r = code(() => dec(input));
    expect(r).toMatch(/^BENCODE: /);
    expect(r).toMatch(message);
  });
  it("refuses nesting past the limit, and accepts the limit itself", () => {
    expect(code(() => dec(`${"l".repeat(MAX_BENCODE_DEPTH)}${"e".repeat(MAX_BENCODE_DEPTH)}`))).toBe("ok");
    expect(code(() => dec(`${"l".repeat(MAX_BENCODE_DEPTH + 2)}${"e".repeat(MAX_BENCODE_DEPTH + 2)}`))).toMatch(/^BENCODE: .*deeper/);
  });
  it("survives fuzzing: 20,000 mutated inputs give a value or a BENCODE error, never a crash", () => {
    const random = new Random(99);
    const seeds = [encodeBencode({ announce: "http://t/a", info: { name: "x", "piece length": 16384, pieces: Buffer.alloc(40, 7), files: [{ length: 3, path: ["a", "b"] }] } }), Buffer.from("li1ei2ed1:ai-5eee")];
    for (let n = 0; n < 20_000; n++) {
      const b = Buffer.from(seeds[n % seeds.length]);
      for (let k = 1 + random.int(4); k > 0; k--) {
        const op = random.int(3);
        const at = random.int(b.length);
        if (op === 0) b[at] = random.int(256);
        else if (op === 1) b[at] = "ield0123456789:-".charCodeAt(random.int(16));
      }
      const cut = random.chance(0.2) ? b.subarray(0, random.int(b.length)) : b;
      expect(code(() => decodeBencode(cut))).toMatch(/^(ok|BENCODE: )/);
    }
  });
});
