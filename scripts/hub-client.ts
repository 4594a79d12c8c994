/**
 * A student at the class hub, scripted: log in with the form, start a server,
 * run a notebook through a kernel over Jupyter's websocket protocol (what the
 * Notebook's own page does), stop the server. Used by the hub's test and by
 * `npm run bench:class`.
 */
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import WebSocket from "ws";

/**
 * Logs in through the hub's form; `ok` when the hub redirected onwards, else its error message.
 * In a workshop, a new name's first login gives the workshop password and `newPassword`, its own from then on.
 */
export async function login(hub: string, name: string, password: string, newPassword = ""): Promise<{ ok: boolean; error?: string }> {
  const r = await fetch(`${hub}/hub/login`, {
    method: "POST", redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ username: name, password, new_password: newPassword }),
  });
  if (r.status === 302) return { ok: true };
  const page = await r.text();
  return { ok: false, error: /class="login_error[^"]*"[^>]*>\s*([^<]+)/.exec(page)?.[1].trim() ?? `HTTP ${r.status}` };
}

/**
 * Tries `work` up to three times, a second apart, when the connection is cut off
 * (not when the server answers an error): fetch reuses a kept-alive connection,
 * and a busy proxy may close it just as a request goes out on it.
 */
async function retried<T>(work: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (e) {
      const cause = (e as { cause?: { code?: string } }).cause?.code ?? (e as Error).message;
      if (attempt >= 3 || !/ECONNRESET|socket hang up|UND_ERR_SOCKET|other side closed/.test(String(cause) + (e as Error).message)) throw e;
      await new Promise((r) => setTimeout(r, 1_000));
    }
  }
}

const api = async (hub: string, token: string, path: string, method = "GET", body?: unknown) => {
  const r = await retried(() => fetch(`${hub}/hub/api${path}`, { method, headers: { authorization: `token ${token}` }, body: body === undefined ? undefined : JSON.stringify(body) }));
  if (!r.ok) throw new Error(`${method} ${path}: HTTP ${r.status} ${await r.text()}`);
  const text = await r.text();
  return text ? JSON.parse(text) : undefined;
};

/** A token for one student, made with the admin token (what the student's own page would hold). */
export async function userToken(hub: string, adminToken: string, name: string): Promise<string> {
  return ((await api(hub, adminToken, `/users/${name}/tokens`, "POST", { note: "applayer script" })) as { token: string }).token;
}

/**
 * Starts a student's server and waits until it answers through the proxy; resolves with the milliseconds it took.
 * The hub's API calls a server ready before it has added the server's route to the proxy: a request in that
 * gap reaches the hub instead (a kernel "started" there has no id, and its websocket gets a 404).
 */
export async function startServer(hub: string, adminToken: string, name: string, timeoutMs = 180_000): Promise<number> {
  const start = performance.now();
  await api(hub, adminToken, `/users/${name}/server`, "POST").catch((e: Error) => {
    if (!/is already running|pending spawn/.test(e.message)) throw e;
  });
  for (;;) {
    const user = (await api(hub, adminToken, `/users/${name}`)) as { servers: Record<string, { ready: boolean }> };
    if (user.servers[""]?.ready && (await routed(hub, name))) return performance.now() - start;
    if (performance.now() - start > timeoutMs) throw new Error(`${name}'s server was not ready after ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** True once the proxy sends /user/NAME/ to the student's Notebook server (its /api answers with its version). */
async function routed(hub: string, name: string): Promise<boolean> {
  const r = await fetch(`${hub}/user/${name}/api`, { redirect: "manual" }).catch(() => undefined);
  if (!r?.ok) return false;
  return "version" in ((await r.json().catch(() => ({}))) as object);
}

export const stopServer = (hub: string, adminToken: string, name: string) => api(hub, adminToken, `/users/${name}/server`, "DELETE");

/** What running a notebook through a kernel gave. */
export interface NotebookRun {
  ok: boolean;
  cells: number;
  ms: number;
  /** The first failure: a cell's error, or the kernel going away. */
  error?: string;
  /** The kernel's process id, for memory figures. */
  kernelId?: string;
}

/**
 * Starts a tslab kernel in the student's server and runs every code cell of
 * `notebook` (a path on this machine) in order, as "Run All" does; stops at
 * the first cell whose reply is not ok.
 */
export async function runNotebook(hub: string, name: string, token: string, notebook: string, options: { cellTimeoutMs?: number } = {}): Promise<NotebookRun> {
  const start = performance.now();
  try {
    return await runCells(hub, name, token, notebook, options, start);
  } catch (e) {
    return { ok: false, cells: 0, ms: performance.now() - start, error: `the server went away: ${(e as Error).message}` };
  }
}

async function runCells(hub: string, name: string, token: string, notebook: string, options: { cellTimeoutMs?: number }, start: number): Promise<NotebookRun> {
  const base = `${hub}/user/${name}/api`;
  const headers = { authorization: `token ${token}` };
  // As the Notebook's page does, a kernel request cut off on its way is tried again.
  const kernel = (await retried(async () => (await fetch(`${base}/kernels`, { method: "POST", headers, body: JSON.stringify({ name: "tslab" }) })).json())) as { id: string };
  if (!kernel.id) throw new Error(`no kernel started: ${JSON.stringify(kernel)}`);
  const cells = (JSON.parse(readFileSync(notebook, "utf8")) as { cells: Array<{ cell_type: string; source: string | string[] }> }).cells
    .filter((c) => c.cell_type === "code").map((c) => (Array.isArray(c.source) ? c.source.join("") : c.source));
  const ws = new WebSocket(`${base.replace(/^http/, "ws")}/kernels/${kernel.id}/channels?token=${token}`);
  const closed = new Promise<string>((r) => {
    ws.once("close", (code) => r(`the kernel's connection closed (${code})`));
    ws.on("error", (e) => r(`the kernel's connection failed: ${e.message}`));
  });
  await new Promise<void>((resolve, reject) => {
    ws.once("open", () => resolve());
    ws.once("error", reject);
  });
  const session = randomUUID();
  const replies = new Map<string, (content: { status: string; ename?: string; evalue?: string }) => void>();
  let died: (why: string) => void = () => undefined;
  const death = new Promise<string>((r) => (died = r));
  let shown = "";
  ws.on("message", (raw) => {
    const m = JSON.parse(raw.toString()) as { msg_type: string; parent_header: { msg_id?: string }; content: { status: string; execution_state?: string } };
    if (m.msg_type === "execute_reply") replies.get(m.parent_header.msg_id ?? "")?.(m.content);
    // tslab's reply to a failing cell may name no error; the error it displayed does.
    if (m.msg_type === "error" || (m.msg_type === "stream" && (m.content as { name?: string }).name === "stderr")) shown = JSON.stringify(m.content).slice(0, 500);
    // The server restarts a kernel that died (out of memory, killed): the run is over.
    if (m.msg_type === "status" && (m.content.execution_state === "restarting" || m.content.execution_state === "dead")) died(`the kernel died (${m.content.execution_state})`);
  });
  let done = 0;
  let error: string | undefined;
  for (const code of cells) {
    const msgId = randomUUID();
    const reply = new Promise<{ status: string; ename?: string; evalue?: string }>((r) => replies.set(msgId, r));
    ws.send(JSON.stringify({
      header: { msg_id: msgId, msg_type: "execute_request", session, username: name, version: "5.3", date: new Date().toISOString() },
      parent_header: {}, metadata: {}, channel: "shell", buffers: [],
      content: { code, silent: false, store_history: true, user_expressions: {}, allow_stdin: false, stop_on_error: true },
    }));
    const timeout = new Promise<string>((r) => setTimeout(() => r(`cell ${done + 1} took over ${(options.cellTimeoutMs ?? 300_000) / 1000} s`), options.cellTimeoutMs ?? 300_000).unref());
    const got = await Promise.race([reply, closed, death, timeout]);
    if (typeof got === "string") {
      error = got;
      break;
    }
    if (got.status !== "ok") {
      error = `cell ${done + 1}: ${got.ename ?? got.status}: ${got.evalue || shown}`.trim();
      break;
    }
    done++;
  }
  ws.close();
  await fetch(`${base}/kernels/${kernel.id}`, { method: "DELETE", headers }).catch(() => undefined);
  return { ok: !error && done === cells.length, cells: done, ms: performance.now() - start, error, kernelId: kernel.id };
}
