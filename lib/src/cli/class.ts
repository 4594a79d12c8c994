import { join, resolve } from "node:path";
import { AppLayerError } from "../errors";
import { HUB_DEFAULTS, startHub } from "../class/hub";
import { Command, intOption, portOption, serveUntilSignalled } from "./command";

/** The project this CLI belongs to: lib/dist/cli → the root. */
const PROJECT = resolve(__dirname, "..", "..", "..");

/** `applayer hub`: the lessons for a whole class on JupyterHub. */
export const classCommands: Command[] = [
  {
    name: "hub",
    summary: "JupyterHub for a class: one Notebook server and tslab kernel per student, homes seeded with the released lessons",
    usage: "[--port N] [--public] [--workshop-password PW] [--state DIR] [--release DIR] [--kernel-memory MIB] [--idle-timeout S] [--spawn-limit N] [--student-cpus N] [--student-memory MIB]",
    options: {
      port: { type: "string" }, public: { type: "boolean" }, "workshop-password": { type: "string" }, state: { type: "string" },
      release: { type: "string" }, "kernel-memory": { type: "string" }, "idle-timeout": { type: "string" }, "spawn-limit": { type: "string" },
      "student-cpus": { type: "string" }, "student-memory": { type: "string" },
    },
    async run(v) {
      const password = v["workshop-password"] as string | undefined;
      if (password !== undefined && password.length < 6) throw new AppLayerError("BAD_ARGUMENT", "--workshop-password must be at least 6 characters: everyone on the network can try it");
      const cpus = Number(v["student-cpus"] ?? HUB_DEFAULTS.studentCpus);
      if (!(cpus >= 0.1)) throw new AppLayerError("BAD_ARGUMENT", "--student-cpus must be a number of cores, 0.1 or more");
      const state = resolve(String(v.state ?? join(PROJECT, "build", "hub")));
      // A SIGTERM while the hub starts stops what has started, too (serveUntilSignalled takes over once it is up).
      const starting = new AbortController();
      const abort = () => starting.abort();
      process.once("SIGTERM", abort).once("SIGINT", abort);
      const hub = await startHub({
        root: PROJECT, state, host: v.public ? "0.0.0.0" : "127.0.0.1", port: portOption(v.port, "port", 8000),
        workshopPassword: password, release: v.release as string | undefined,
        kernelMemoryMb: intOption(v["kernel-memory"], "kernel-memory", HUB_DEFAULTS.kernelMemoryMb),
        idleTimeoutS: intOption(v["idle-timeout"], "idle-timeout", HUB_DEFAULTS.idleTimeoutS),
        spawnLimit: intOption(v["spawn-limit"], "spawn-limit", HUB_DEFAULTS.spawnLimit),
        studentCpus: cpus, studentMemoryMb: intOption(v["student-memory"], "student-memory", HUB_DEFAULTS.studentMemoryMb),
        signal: starting.signal,
      }).finally(() => process.off("SIGTERM", abort).off("SIGINT", abort));
      console.error(`the class hub: open ${hub.url}/ (state in ${state}, notebooks from ${hub.release})`);
      console.error(password
        ? `workshop: a new name logs in with the workshop password and chooses its own password; each student runs as the account jupyter-NAME, home under ${hub.homes}`
        : "PAM: students log in with their system account; add one with: sudo useradd -m NAME && sudo passwd NAME");
      if (v.public) console.error("open to other machines: put TLS in front of it (a reverse proxy with a certificate), or passwords travel in the clear");
      console.error(`an admin API token for scripts is in ${join(state, "api-token")}`);
      const url = new URL(hub.url);
      return serveUntilSignalled([{ address: { host: v.public ? "0.0.0.0" : url.hostname, port: Number(url.port) }, server: { close: () => hub.stop() } }]);
    },
  },
];
