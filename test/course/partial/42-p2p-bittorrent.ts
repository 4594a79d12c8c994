import type { PartialSubmission } from "../partials";

/**
 * A peer that works against a well-behaved seed and trusts too much: the decoder
 * never checks that dictionary keys are sorted; the info-hash takes the info
 * dictionary to be the torrent's last key; the handshake never compares the
 * peer's info-hash; the piece is neither looked for in the bitfield nor checked
 * against its SHA-1. The choker is left as the lesson has it.
 */
const partial: PartialSubmission = {
  answers: {
    "bdecode-solution": `type B = number | Buffer | B[] | { [key: string]: B };
function bdecodeAt(bytes: Buffer, at: number): [B, number] {
  const c = String.fromCharCode(bytes[at]);
  if (c === "i") {
    const end = bytes.indexOf("e", at);
    const digits = bytes.toString("latin1", at + 1, end);
    if (end < 0 || !/^(0|-?[1-9][0-9]*)$/.test(digits)) throw new Error("bad integer");
    return [Number(digits), end + 1];
  }
  if (c === "l" || c === "d") {
    const items: B[] = [];
    let i = at + 1;
    while (bytes[i] !== 0x65) {
      if (i >= bytes.length) throw new Error("no end");
      const [v, next] = bdecodeAt(bytes, i);
      items.push(v);
      i = next;
    }
    if (c === "l") return [items, i + 1];
    const dict: { [key: string]: B } = {};
    for (let k = 0; k < items.length; k += 2) {
      if (!Buffer.isBuffer(items[k]) || k + 1 >= items.length) throw new Error("bad dictionary");
      dict[(items[k] as Buffer).toString("latin1")] = items[k + 1];
    }
    return [dict, i + 1];
  }
  const colon = bytes.indexOf(":", at);
  const length = bytes.toString("latin1", at, colon);
  if (colon < 0 || !/^(0|[1-9][0-9]*)$/.test(length)) throw new Error("bad length");
  if (colon + 1 + Number(length) > bytes.length) throw new Error("too short");
  return [bytes.subarray(colon + 1, colon + 1 + Number(length)), colon + 1 + Number(length)];
}
function bdecode(bytes: Buffer): B {
  const [value, end] = bdecodeAt(bytes, 0);
  if (end !== bytes.length) throw new Error(\`\${bytes.length - end} bytes after the value\`);
  return value;
}
`,
    "infohash-solution": `function infoHash(torrent: Buffer): string {
  const start = torrent.indexOf("4:info") + 6;
  return createHash("sha1").update(torrent.subarray(start, torrent.length - 1)).digest("hex");
}
`,
    "handshake-solution": `type Shaken = { socket: net.Socket; peerId: Buffer; rest: Buffer };
function handshake(peer: Address, infoHash: Buffer, myId: Buffer): Promise<Shaken> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(peer.port, peer.host);
    let got = Buffer.alloc(0);
    const onClose = () => reject(new Error("closed"));
    const onData = (chunk: Buffer) => {
      got = Buffer.concat([got, chunk]);
      if (got.length < 68) return;
      socket.off("data", onData).off("close", onClose).pause();
      resolve({ socket, peerId: got.subarray(48, 68), rest: got.subarray(68) });
    };
    socket.on("data", onData).on("close", onClose).on("error", onClose);
    socket.write(Buffer.concat([Buffer.from([19]), Buffer.from("BitTorrent protocol"), Buffer.alloc(8), infoHash, myId]));
  });
}
`,
    "piece-solution": `async function downloadPiece(peer: Address, torrent: Torrent, index: number): Promise<Buffer> {
  const { socket, rest } = await handshake(peer, torrent.infoHashBytes, myId);
  const size = Math.min(torrent.pieceLength, torrent.length - index * torrent.pieceLength);
  const piece = Buffer.alloc(size);
  const message = (id: number, ints: number[]) => {
    const m = Buffer.alloc(5 + 4 * ints.length);
    m.writeUInt32BE(1 + 4 * ints.length, 0);
    m[4] = id;
    ints.forEach((n, k) => m.writeUInt32BE(n, 5 + 4 * k));
    return m;
  };
  return new Promise<Buffer>((resolve, reject) => {
    let buffered = rest;
    let received = 0;
    const onData = (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 4 && buffered.length >= 4 + buffered.readUInt32BE(0)) {
        const m = buffered.subarray(4, 4 + buffered.readUInt32BE(0));
        buffered = buffered.subarray(4 + m.length);
        if (m[0] === 5) socket.write(message(2, []));
        if (m[0] === 1) for (let b = 0; b < size; b += 16384) socket.write(message(6, [index, b, Math.min(16384, size - b)]));
        if (m[0] === 7) {
          received += m.copy(piece, m.readUInt32BE(5), 9);
          if (received === size) {
            socket.destroy();
            resolve(piece);
          }
        }
      }
    };
    socket.on("data", onData).on("close", () => reject(new Error("closed")));
    socket.resume();
    onData(Buffer.alloc(0));
  });
}
`,
  },
  points: {
    // Six checks: the unsorted and repeated keys in the two lists of broken input go through.
    "bdecode-check": 1.33,
    // Three checks: mktorrent's url-list comes after info, and gets hashed with it.
    "infohash-check": 1.33,
    // Five checks: a peer that answers for another torrent is accepted.
    "handshake-check": 1.6,
    // Seven checks: a peer without the piece is asked anyway and never answers (5 s), with 256 KiB pieces and with
    // 32 KiB ones; a corrupt block is accepted. Piece 13 of the 32 KiB torrent comes whole from aria2c.
    "piece-check": 4.57,
  },
};
export default partial;
