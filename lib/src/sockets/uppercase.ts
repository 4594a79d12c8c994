/**
 * The whole "application" of the socket lesson, as a pure function on bytes:
 * ASCII a–z become A–Z and every other byte passes through untouched. Working on
 * bytes (not strings) means garbage and non-UTF-8 input come back intact instead
 * of being mangled into U+FFFD.
 *
 * @example new TextDecoder().decode(toUpperAscii(new TextEncoder().encode("hello"))) // "HELLO"
 */
export function toUpperAscii(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const b = data[i];
    out[i] = b >= 0x61 && b <= 0x7a ? b - 0x20 : b;
  }
  return out;
}
