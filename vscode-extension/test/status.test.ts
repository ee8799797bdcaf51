import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Once } from "../src/once";
import { describeSummary, describeWork, readSummary, StatusModel } from "../src/status";

describe("StatusModel", () => {
  it("goes idle -> running -> idle with progress, and error on failure", () => {
    const s = new StatusModel();
    s.setState("starting");
    assert.equal(s.view().phase, "running");
    assert.equal(s.view().text, "$(sync~spin) mgdebug: starting the server", "words, not only a spinner");
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

describe("status in words", () => {
  it("says what a run is doing from the engine's progress messages", () => {
    assert.equal(describeWork("mgdebug: debugging whole file", "running 3 expectation(s)"), "running 3 expectations…");
    assert.equal(describeWork("mgdebug: debugging whole file", "running 1 expectation(s)"), "running 1 expectation…");
    assert.equal(describeWork("t", "searching for checked fixes"), "searching for a fix…");
    assert.equal(describeWork("t", "checked 40 candidate fixes, 2 pass"), "searching for a fix…");
    assert.equal(describeWork("mgdebug: debugging mean", undefined), "debugging mean…");
    assert.equal(describeWork("mgdebug: debugging mean", "done"), "debugging mean…");
  });

  it("shows the active document's last result when nothing runs, and the run while one does", () => {
    const s = new StatusModel();
    s.setState("ready");
    s.summary("file:///a.py", { results: true, failing: 1, passing: 2 });
    s.summary("file:///b.py", { results: true, failing: 0, passing: 2 });
    assert.equal(s.view().text, "$(check) mgdebug: ready", "no active editor: no claim about any file");
    s.setActive("file:///a.py");
    assert.equal(s.view().text, "$(bug) mgdebug: 1 failing function");
    s.progress("t", { kind: "begin", title: "mgdebug: debugging whole file", percentage: 0 });
    s.progress("t", { kind: "report", message: "running 3 expectation(s)", percentage: 5 });
    assert.equal(s.view().text, "$(sync~spin) mgdebug: running 3 expectations… 5%");
    assert.equal(s.view().phase, "running");
    s.progress("t", { kind: "end", message: "done" });
    assert.equal(s.view().phase, "idle", "the busy state clears when the run ends");
    s.setActive("file:///b.py");
    assert.equal(s.view().text, "$(check) mgdebug: all expectations pass");
    s.setState("stopped");
    s.setState("ready");
    assert.equal(s.view().text, "$(check) mgdebug: ready", "a restarted server's results are not known");
  });

  it("says when counts are from before an edit, and when the file could not run", () => {
    assert.match(describeSummary({ results: true, failing: 2, passing: 0, edited: true })!.tooltip, /before your last edit/);
    assert.equal(describeSummary({ results: true, failing: 2, passing: 1 })!.text, "$(bug) mgdebug: 2 failing functions");
    assert.equal(describeSummary({ results: true, couldNotRun: true })!.text, "$(warning) mgdebug: could not run the file");
    assert.equal(describeSummary({ results: true, failing: 0, passing: 0 })!.text, "$(check) mgdebug: no expectations");
    assert.equal(describeSummary({ results: false }), undefined);
  });

  it("reads the server's mgdebug/status and refuses anything else", () => {
    assert.deepEqual(readSummary({ uri: "file:///a.py", results: true, failing: 1, passing: 0, edited: false }), {
      uri: "file:///a.py",
      summary: { results: true, failing: 1, passing: 0, edited: false, couldNotRun: false },
    });
    assert.equal(readSummary({ results: true }), undefined);
    assert.equal(readSummary(null), undefined);
    assert.equal(readSummary({ uri: "file:///a.py", results: true, failing: -1 })?.summary.failing, undefined);
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
