import { Worker, isMainThread } from "node:worker_threads";

/**
 * Preloaded into every kernel (`node --require orphan-guard.js tslab …`): the
 * grader's, and every kernel Jupyter starts from the project's kernelspec (see
 * scripts/setup.sh), a student's on the class hub included. When the process that
 * started the kernel dies (a worker killed with kill -9 mid-job, a student's server
 * stopped while a cell loops), the kernel is adopted by another parent; a watcher
 * thread notices within a second and kills the kernel, instead of letting a
 * student's endless loop run on with nobody to stop it. A thread, because that
 * loop would block any timer on the kernel's own.
 */

/** How often the watcher checks that the kernel's parent is still the one that started it. */
export const ORPHAN_CHECK_MS = 1_000;

/**
 * The grader's pid, passed by the grader itself: a kernel whose grader died
 * before this preload ran is already adopted, so its ppid at start proves nothing.
 */
export const GUARD_PARENT_ENV = "APPLAYER_KERNEL_PARENT";

// Only a process started with this file preloaded (a kernel; not the grader that imports the constant above)
// watches, only from its main thread, and the watcher thread is started without the preload: threads
// inherit the process's --require, and each would otherwise start another, without end.
if (isMainThread && process.execArgv.some((a) => a.endsWith("orphan-guard.js"))) {
  const watcher = new Worker(
    `const parent = ${Number(process.env[GUARD_PARENT_ENV]) || process.ppid};
     setInterval(() => { if (process.ppid !== parent) process.kill(process.pid, "SIGKILL"); }, ${ORPHAN_CHECK_MS});`,
    { eval: true, execArgv: [] },
  );
  watcher.unref();
}
