/**
 * A minimal static file server on loopback, the "any static web server" the site
 * is built for: the browser tests serve build/ with it, and
 * `node --import tsx scripts/static-server.ts build/site [PORT]` lets you look.
 */
import { createReadStream, existsSync, statSync } from "node:fs";
import { createServer, Server } from "node:http";
import { extname, join, normalize, resolve } from "node:path";

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".woff": "font/woff",
  ".woff2": "font/woff2",
  ".ttf": "font/ttf",
  ".ipynb": "application/x-ipynb+json",
  ".pcapng": "application/vnd.tcpdump.pcap",
};

/** Serves `dir` on 127.0.0.1 (port 0: a free one) and resolves with the server and its base URL. */
export function serveStatic(dir: string, port = 0): Promise<{ server: Server; url: string }> {
  const root = resolve(dir);
  const server = createServer((req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname));
    let file = join(root, path);
    if (!file.startsWith(root)) return void res.writeHead(403).end();
    if (existsSync(file) && statSync(file).isDirectory()) file = join(file, "index.html");
    if (!existsSync(file)) return void res.writeHead(404, { "content-type": "text/plain" }).end(`not found: ${path}\n`);
    res.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream" });
    createReadStream(file).pipe(res);
  });
  return new Promise((done) => server.listen(port, "127.0.0.1", () => {
    const address = server.address() as { port: number };
    done({ server, url: `http://127.0.0.1:${address.port}/` });
  }));
}

if (require.main === module) {
  const [dir = "build/site", port = "8000"] = process.argv.slice(2);
  serveStatic(dir, Number(port)).then(({ url }) => console.log(`serving ${dir} on ${url} (Ctrl-C stops)`));
}
