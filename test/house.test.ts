/**
 * The mail folders point one way: the role (mail/) uses the protocols (smtp/,
 * imap/, pop3/), which use the store (mailstore/), which may use the format
 * (message/); nothing imports back up. dns/ is layered the same way, from the
 * wire format up to the worlds, the attacks and the charts. Read from the
 * sources' own imports.
 */
import { describe, expect, it } from "vitest";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "./helpers";

const SRC = join(ROOT, "lib", "src");
/** Lower layers first: a folder may import folders of its rank or lower (pop3 borrows smtp's line limits), never higher. */
const RANK: Record<string, number> = { message: 0, mailstore: 1, smtp: 2, imap: 2, pop3: 2, mail: 3 };

function importsOf(folder: string): Array<{ file: string; to: string }> {
  return readdirSync(join(SRC, folder)).filter((f) => f.endsWith(".ts")).flatMap((file) =>
    [...readFileSync(join(SRC, folder, file), "utf8").matchAll(/(?:from |import\()"\.\.\/([a-z0-9-]+)\//g)].map((m) => ({ file: `${folder}/${file}`, to: m[1] })));
}

describe("the mail folders", () => {
  it.each(Object.keys(RANK))("%s/ imports no mail folder above it", (folder) => {
    const up = importsOf(folder).filter((i) => i.to in RANK && RANK[i.to] > RANK[folder]);
    expect(up).toEqual([]);
  });
  it("have the layers they are meant to have", () => {
    expect(importsOf("mail").some((i) => i.to === "imap")).toBe(true);
    expect(importsOf("imap").some((i) => i.to === "mailstore")).toBe(true);
    expect(importsOf("imap").some((i) => i.to === "message")).toBe(true);
  });
});

/** The files of one folder that `file` imports (static, type-only and dynamic imports alike). */
function siblingsImported(folder: string, file: string): string[] {
  const text = readFileSync(join(SRC, folder, file), "utf8");
  return [...text.matchAll(/(?:from |import\()"\.\/([a-z0-9-]+)(?:\.js)?"/g)].map((m) => `${m[1]}.ts`);
}

/** The import circles among one folder's files, each as "a.ts → b.ts → a.ts". */
function circlesIn(folder: string): string[] {
  const files = readdirSync(join(SRC, folder)).filter((f) => f.endsWith(".ts"));
  const circles: string[] = [];
  const visit = (file: string, path: string[]) => {
    if (path.includes(file)) {
      circles.push([...path.slice(path.indexOf(file)), file].join(" → "));
      return;
    }
    for (const next of siblingsImported(folder, file)) if (files.includes(next)) visit(next, [...path, file]);
  };
  for (const f of files) visit(f, []);
  return circles;
}

describe("the course folder", () => {
  it("has no import circle between its files (autograde and queue share submission.ts below both)", () => {
    expect(circlesIn("course")).toEqual([]);
  });
});

/**
 * dns/ by layer, lowest first. A folder imports only folders ranked below it:
 * authoritative and resolver stand side by side and neither imports the other.
 * dns/index.ts, above them all, chooses what the notebooks see.
 */
const DNS_RANK: Record<string, number> = { wire: 0, dnssec: 1, transport: 2, authoritative: 3, resolver: 3, world: 4, attacks: 5, charts: 6 };

describe("the dns folders", () => {
  it("are exactly its layers, with no file left loose beside them but index.ts", () => {
    const entries = readdirSync(join(SRC, "dns"), { withFileTypes: true });
    expect(entries.filter((e) => e.isDirectory()).map((e) => e.name).sort()).toEqual(Object.keys(DNS_RANK).sort());
    expect(entries.filter((e) => e.isFile()).map((e) => e.name)).toEqual(["index.ts"]);
  });
  it.each(Object.keys(DNS_RANK))("dns/%s/ imports no dns folder of its rank or above", (folder) => {
    const up = importsOf(`dns/${folder}`).filter((i) => i.to !== folder && i.to in DNS_RANK && DNS_RANK[i.to] >= DNS_RANK[folder]);
    expect(up).toEqual([]);
  });
  it.each(Object.keys(DNS_RANK))("dns/%s/ has no import circle between its files", (folder) => {
    expect(circlesIn(`dns/${folder}`)).toEqual([]);
  });
  it("have the layers they are meant to have", () => {
    const uses = (folder: string, below: string) => importsOf(`dns/${folder}`).some((i) => i.to === below);
    expect(uses("dnssec", "wire")).toBe(true);
    expect(uses("transport", "dnssec")).toBe(true);
    expect(uses("authoritative", "transport")).toBe(true);
    expect(uses("resolver", "transport")).toBe(true);
    expect(uses("resolver", "dnssec")).toBe(true);
    expect(uses("world", "authoritative")).toBe(true);
    expect(uses("world", "resolver")).toBe(true);
    expect(uses("attacks", "world")).toBe(true);
  });
  it("show the notebooks a chosen list of names, not every export of every file", () => {
    expect(readFileSync(join(SRC, "dns", "index.ts"), "utf8")).not.toMatch(/export \*/);
    expect(readFileSync(join(SRC, "index.ts"), "utf8")).not.toMatch(/from "\.\/dns\//);
  });
});
