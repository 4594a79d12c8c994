import { describe, expect, it } from "vitest";
import { FrameDecoder, LineSplitter, encodeFrame, findControlByte, safeArgument } from "../../lib/src/net/framing";
import { isAppLayerError } from "../../lib/src/errors";
import { Random } from "../../lib/src/sim/random";

const errorCode = (f: () => unknown) => {
  try {
    f();
    return "none";
  } catch (e) {
    return isAppLayerError(e) ? e.code : String(e);
  }
};

/** Cuts `data` at random places, as TCP may. */
function randomCuts(data: Buffer, rng: Random): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < data.length; ) {
    const n = 1 + rng.int(17);
    out.push(data.subarray(i, i + n));
    i += n;
  }
  return out;
}

describe("LineSplitter", () => {
  it("joins lines cut across reads and strips CRLF or LF", () => {
    const s = new LineSplitter(100);
    expect(s.push(Buffer.from("HEL"))).toEqual([]);
    expect(s.push(Buffer.from("LO\r\nWOR")).map(String)).toEqual(["HELLO"]);
    expect(s.push(Buffer.from("LD\n\n")).map(String)).toEqual(["WORLD", ""]);
    expect(String(s.rest())).toBe("");
  });
  it("accepts a line of exactly maxLine bytes and refuses one more", () => {
    expect(errorCode(() => new LineSplitter(8).push(Buffer.from("12345678\n")))).toBe("none");
    expect(errorCode(() => new LineSplitter(8).push(Buffer.from("123456789\n")))).toBe("LINE_TOO_LONG");
  });
  it("refuses an endless line before its newline arrives (no unbounded buffer)", () => {
    const s = new LineSplitter(8);
    s.push(Buffer.from("12345678"));
    expect(errorCode(() => s.push(Buffer.from("9")))).toBe("LINE_TOO_LONG");
  });
});

describe("LineSplitter with crlfOnly (a server reading commands)", () => {
  it("ends lines only at CRLF, even cut between the CR and the LF; a bare LF or CR stays in the line", () => {
    const s = new LineSplitter(100, true);
    expect(s.push(Buffer.from("USER bob\nPASS x\rSTAT\r")).map(String)).toEqual([]);
    expect(s.push(Buffer.from("\nNOOP\r\n")).map(String)).toEqual(["USER bob\nPASS x\rSTAT", "NOOP"]);
  });
  it("accepts a line of exactly maxLine bytes before its CRLF (also cut between CR and LF) and refuses one more", () => {
    expect(new LineSplitter(4, true).push(Buffer.from("NOOP\r\n")).map(String)).toEqual(["NOOP"]);
    const cut = new LineSplitter(4, true);
    expect(errorCode(() => cut.push(Buffer.from("NOOP\r")))).toBe("none");
    expect(cut.push(Buffer.from("\n")).map(String)).toEqual(["NOOP"]);
    expect(errorCode(() => new LineSplitter(4, true).push(Buffer.from("NOOPX\r\n")))).toBe("LINE_TOO_LONG");
  });
});

describe("findControlByte and safeArgument", () => {
  it.each([["CR", 0x0d], ["LF", 0x0a], ["NUL", 0x00], ["TAB", 0x09], ["US", 0x1f], ["DEL", 0x7f]])("find %s and refuse it with COMMAND_INJECTION", (_name, byte) => {
    const text = `bob${String.fromCharCode(byte)}x`;
    expect(findControlByte(text)).toEqual({ offset: 3, byte });
    expect(() => safeArgument(text, "the user name")).toThrow(expect.objectContaining({ code: "COMMAND_INJECTION" }));
  });
  it("let printable text and 8-bit characters through", () => {
    expect(findControlByte(" ~é€")).toBeUndefined();
    expect(safeArgument("alice@cs.umass.edu", "the address")).toBe("alice@cs.umass.edu");
  });
});

describe("FrameDecoder", () => {
  const messages = ["", "a", "hello world", "x".repeat(1000), "\u0000\u00ff binary"];
  const wire = Buffer.concat(messages.map((m) => encodeFrame(Buffer.from(m, "latin1"))));

  it("writes a big-endian length before the payload", () => {
    expect([...encodeFrame(Buffer.from("hi"))]).toEqual([0x00, 0x02, 0x68, 0x69]);
    expect([...encodeFrame(Buffer.from("hi"), 4)]).toEqual([0, 0, 0, 2, 0x68, 0x69]);
  });
  it.each([1, 2, 3, 4, 5])("rebuilds the messages from any cut of the stream (seed %i)", (seed) => {
    const d = new FrameDecoder(2, 65535);
    const out = randomCuts(wire, new Random(seed)).flatMap((c) => d.push(c));
    expect(out.map((f) => f.toString("latin1"))).toEqual(messages);
    expect(d.buffered).toBe(0);
  });
  it("accepts a frame of exactly maxFrame bytes and refuses one more, before reading the body", () => {
    expect(new FrameDecoder(2, 4).push(encodeFrame(Buffer.from("abcd"))).length).toBe(1);
    expect(errorCode(() => new FrameDecoder(2, 4).push(Buffer.from([0, 5])))).toBe("FRAME_TOO_LARGE");
  });
  it("refuses a payload too long for a 2-byte prefix", () => {
    expect(errorCode(() => encodeFrame(Buffer.alloc(65535)))).toBe("none");
    expect(errorCode(() => encodeFrame(Buffer.alloc(65536)))).toBe("FRAME_TOO_LARGE");
  });
});
