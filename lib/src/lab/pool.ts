/**
 * Runs `work` on each item with at most `jobs` at a time: the grader's kernels,
 * the lesson builds and the notebook suite (one kernel per core).
 */
export async function pool<T>(items: T[], jobs: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.max(1, Math.min(jobs, items.length)) }, async () => {
    while (next < items.length) await work(items[next++]);
  }));
}
