import { describe, expect, it } from "vitest";
import { formatAddress, parseAddress } from "../../lib/src/net/address";
import { isAppLayerError } from "../../lib/src/errors";

const codeOf = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return isAppLayerError(e) ? e.code : "other";
  }
  return "none";
};

describe("parseAddress", () => {
  it("reads HOST:PORT and a bare port", () => {
    expect(parseAddress("127.0.0.2:53")).toEqual({ host: "127.0.0.2", port: 53 });
    expect(parseAddress("5300")).toEqual({ host: "127.0.0.1", port: 5300 });
    expect(formatAddress(parseAddress("127.9.9.9:65535"))).toBe("127.9.9.9:65535");
  });
  it.each([
    ["not an address", "BAD_ADDRESS"],
    ["127.0.0.1:65536", "BAD_ADDRESS"], // one past the highest port
    ["127.0.0.1:", "BAD_ADDRESS"],
    ["10.0.0.1:53", "NOT_LOOPBACK"], // lessons never leave the machine
    ["0.0.0.0:53", "NOT_LOOPBACK"], // nor listen on every interface
    ["localhost:53", "NOT_LOOPBACK"], // a name would need a resolver
  ])("refuses %s with %s", (text, code) => {
    expect(codeOf(() => parseAddress(text))).toBe(code);
  });
});
