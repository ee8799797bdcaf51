import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { RestartPolicy } from "../src/backoff";

describe("RestartPolicy", () => {
  it("doubles the delay up to the cap and announces only the first crash", () => {
    const p = new RestartPolicy({ initialMs: 1000, factor: 2, maxMs: 5000, maxRestarts: 10, stableMs: 60_000 });
    const delays: number[] = [];
    const announced: boolean[] = [];
    for (let i = 0; i < 5; i++) {
      const d = p.crashed(i);
      assert.equal(d.action, "restart");
      if (d.action === "restart") {
        delays.push(d.delayMs);
        announced.push(d.announce);
      }
    }
    assert.deepEqual(delays, [1000, 2000, 4000, 5000, 5000]);
    assert.deepEqual(announced, [true, false, false, false, false]);
  });

  it("gives up after maxRestarts crashes in a row", () => {
    const p = new RestartPolicy({ maxRestarts: 3 });
    for (let i = 0; i < 3; i++) assert.equal(p.crashed(i * 10).action, "restart");
    assert.deepEqual(p.crashed(100), { action: "giveUp", crashes: 4 });
  });

  it("forgets crashes after the server stayed up long enough", () => {
    const p = new RestartPolicy({ maxRestarts: 2, stableMs: 1000 });
    p.crashed(0);
    p.started(10);
    p.crashed(500); // up only 490 ms: still a series
    p.started(600);
    const d = p.crashed(5000); // up 4.4 s: healthy, new series
    assert.equal(d.action, "restart");
    if (d.action === "restart") {
      assert.equal(d.attempt, 1);
      assert.equal(d.delayMs, 1000);
      assert.equal(d.announce, true);
    }
  });

  it("a crash during start (never started) counts toward the series", () => {
    const p = new RestartPolicy({ maxRestarts: 1, stableMs: 1000 });
    assert.equal(p.crashed(0).action, "restart");
    assert.equal(p.crashed(100_000).action, "giveUp");
  });

  it("reset starts over", () => {
    const p = new RestartPolicy({ maxRestarts: 1 });
    p.crashed(0);
    p.reset();
    assert.equal(p.crashCount, 0);
    assert.equal(p.crashed(1).action, "restart");
  });
});
