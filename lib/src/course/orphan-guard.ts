import { Worker, isMainThread } from "node:worker_threads";

/**
 * Preloaded into every grading kernel (`node --require orphan-guard.js tslab …`):
 * when the process that started the kernel dies (a worker killed with kill -9
 * mid-job), the kernel is adopted by another parent; a watcher thread notices
 * within a second and kills the kernel, instead of letting a student's endless
 * loop run on with nobody to stop it. A thread, because that loop would block
 * any timer on the kernel's own.
 */

/** How often the watcher checks that the kernel's parent is still the one that started it. */
export const ORPHAN_CHECK_MS = 1_000;

// Only the kernel's main thread starts a watcher, and the watcher is started without this preload
// (threads inherit the process's --require): otherwise each thread would start another, without end.
if (isMainThread) {
  const watcher = new Worker(
    `const parent = ${process.ppid};
     setInterval(() => { if (process.ppid !== parent) process.kill(process.pid, "SIGKILL"); }, ${ORPHAN_CHECK_MS});`,
    { eval: true, execArgv: [] },
  );
  watcher.unref();
}
