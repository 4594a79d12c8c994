import { describe, expect, it, vi } from "vitest";
import { stepSvg, stepThrough } from "../../lib/src/charts/steps";
import { Trace } from "../../lib/src/lab/trace";

function smtp(): Trace {
  const t = new Trace();
  t.note("client", "connected");
  t.record("server", "client", "220 mail.umass.edu ESMTP");
  t.record("client", "server", "HELO <crepes.fr>");
  t.record("server", "client", "250 Hello & welcome");
  return t;
}
const groups = (svg: string) => [...svg.matchAll(/<g class="step" data-step="(\d+)"( visibility="hidden")?>/g)].map((m) => ({ step: Number(m[1]), hidden: Boolean(m[2]) }));

describe("stepSvg", () => {
  it("draws one group per message, in order, with an arrow for each message and none for a note", () => {
    const svg = stepSvg(smtp(), { title: "SMTP" });
    expect(groups(svg)).toEqual([1, 2, 3, 4].map((step) => ({ step, hidden: false })));
    const bodies = svg.split('<g class="step"').slice(1);
    expect(bodies.map((b) => (b.match(/<path /g) ?? []).length)).toEqual([0, 1, 1, 1]);
    expect(svg).toContain(">SMTP</text>");
  });
  it("hides the steps past `shown` but keeps their place", () => {
    const svg = stepSvg(smtp(), { shown: 2 });
    expect(groups(svg).map((g) => g.hidden)).toEqual([false, false, true, true]);
    expect(/height="(\d+)"/.exec(svg)![1]).toBe(/height="(\d+)"/.exec(stepSvg(smtp()))![1]);
  });
  it("escapes what the peers said", () => {
    const svg = stepSvg(smtp());
    expect(svg).toContain("HELO &lt;crepes.fr&gt;");
    expect(svg).toContain("250 Hello &amp; welcome");
    expect(svg).not.toContain("<crepes.fr>");
  });
});

describe("stepThrough", () => {
  it("starts at the first message and moves within the exchange", async () => {
    const steps = await stepThrough(smtp());
    expect([steps.total, steps.shown]).toEqual([4, 1]);
    await steps.next(2);
    expect(steps.shown).toBe(3);
    await steps.next(5);
    expect(steps.shown).toBe(4);
    await steps.back();
    expect(steps.shown).toBe(3);
    await steps.play({ intervalMs: 1 });
    expect(steps.shown).toBe(4);
    for (let i = 0; i < 6; i++) await steps.back();
    expect(steps.shown).toBe(1);
  });

  it("goes straight to the last message when no one watches (APPLAYER_HEADLESS, as the builds, the suite and the grader run)", async () => {
    const steps = await stepThrough(smtp());
    process.env.APPLAYER_HEADLESS = "1";
    vi.useFakeTimers(); // time stands still: a play that waited between messages would never end
    try {
      await steps.play({ intervalMs: 5_000 });
      expect(steps.shown).toBe(4);
    } finally {
      vi.useRealTimers();
      delete process.env.APPLAYER_HEADLESS;
    }
  });
});
