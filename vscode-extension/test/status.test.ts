import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Once } from "../src/once";
import { StatusModel } from "../src/status";

describe("StatusModel", () => {
  it("goes idle -> running -> idle with progress, and error on failure", () => {
    const s = new StatusModel();
    s.setState("starting");
    assert.equal(s.view().phase, "running");
    s.setState("ready");
    assert.equal(s.view().phase, "idle");
    s.progress("t1", { kind: "begin", title: "Debugging", message: "add", percentage: 10 });
    let v = s.view();
    assert.equal(v.phase, "running");
    assert.match(v.text, /10%/);
    assert.match(v.tooltip, /Debugging: add/);
    s.progress("t1", { kind: "report", percentage: 55 });
    assert.match(s.view().text, /55%/);
    assert.match(s.view().tooltip, /Debugging: add/);
    s.progress("t2", { kind: "begin", title: "Searching fixes" });
    assert.match(s.view().text, /\(\+1\)/);
    s.progress("t1", { kind: "end" });
    s.progress("t2", { kind: "end" });
    assert.equal(s.view().phase, "idle");
    s.setState("error", "mgdebug is not installed");
    v = s.view();
    assert.equal(v.phase, "error");
    assert.equal(v.severity, "error");
    assert.match(v.tooltip, /not installed/);
  });

  it("drops progress when the server stops", () => {
    const s = new StatusModel();
    s.setState("ready");
    s.progress(1, { kind: "begin", title: "x" });
    s.setState("stopped");
    s.setState("ready");
    assert.equal(s.view().phase, "idle");
  });
});

describe("Once", () => {
  it("says each key once until forgotten", () => {
    const o = new Once();
    assert.equal(o.first("a:1"), true);
    assert.equal(o.first("a:1"), false);
    assert.equal(o.first("b"), true);
    o.forget("a:");
    assert.equal(o.first("a:1"), true);
    assert.equal(o.first("b"), false);
  });
});
