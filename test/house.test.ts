/**
 * The mail folders point one way: the role (mail/) uses the protocols (smtp/,
 * imap/, pop3/), which use the store (mailstore/), which may use the format
 * (message/); nothing imports back up. Read from the sources' own imports.
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
    [...readFileSync(join(SRC, folder, file), "utf8").matchAll(/from "\.\.\/([a-z0-9-]+)\//g)].map((m) => ({ file: `${folder}/${file}`, to: m[1] })));
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

describe("the course folder", () => {
  it("has no import circle between its files (autograde and queue share submission.ts below both)", () => {
    const files = readdirSync(join(SRC, "course")).filter((f) => f.endsWith(".ts"));
    const circles: string[] = [];
    const visit = (file: string, path: string[]) => {
      if (path.includes(file)) {
        circles.push([...path.slice(path.indexOf(file)), file].join(" → "));
        return;
      }
      for (const next of siblingsImported("course", file)) if (files.includes(next)) visit(next, [...path, file]);
    };
    for (const f of files) visit(f, []);
    expect(circles).toEqual([]);
  });
});
