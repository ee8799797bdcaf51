import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { askModelOutcome, cleanKey, KEY_VARIABLE, serverEnvironment } from "../src/modelKey";

describe("serverEnvironment", () => {
  it("puts the stored key in MGDEBUG_API_KEY and keeps the rest of the environment", () => {
    const env = serverEnvironment({ PATH: "/bin", HOME: "/h", UNSET: undefined }, "sk-stored");
    assert.equal(env[KEY_VARIABLE], "sk-stored");
    assert.equal(env.PATH, "/bin");
    assert.equal(env.PYTHONUNBUFFERED, "1");
    assert.ok(!("UNSET" in env));
  });

  it("lets the stored key win over one inherited from the shell", () => {
    assert.equal(serverEnvironment({ MGDEBUG_API_KEY: "sk-shell" }, "sk-stored")[KEY_VARIABLE], "sk-stored");
  });

  it("keeps an inherited key when none is stored, and adds none", () => {
    assert.equal(serverEnvironment({ MGDEBUG_API_KEY: "sk-shell" }, undefined)[KEY_VARIABLE], "sk-shell");
    assert.ok(!(KEY_VARIABLE in serverEnvironment({ PATH: "/bin" }, undefined)));
    assert.ok(!(KEY_VARIABLE in serverEnvironment({ PATH: "/bin" }, "   ")));
  });

  it("does not change the environment it was given", () => {
    const base = { PATH: "/bin" };
    serverEnvironment(base, "sk-stored");
    assert.deepEqual(base, { PATH: "/bin" });
  });
});

describe("cleanKey", () => {
  it("drops spaces and quotes around a pasted key", () => {
    assert.equal(cleanKey('  "sk-abc"  '), "sk-abc");
    assert.equal(cleanKey("'sk-abc'"), "sk-abc");
    assert.equal(cleanKey(" sk-abc\n"), "sk-abc");
  });

  it("treats an empty or cancelled input as no key", () => {
    assert.equal(cleanKey(undefined), undefined);
    assert.equal(cleanKey("   "), undefined);
    assert.equal(cleanKey('""'), undefined);
  });
});

describe("askModelOutcome", () => {
  it("offers the quick fixes when a checked fix came back", () => {
    const outcome = askModelOutcome({
      function: "count_vowels",
      status: "fail",
      fixes: ["mgdebug: rewrite of line 9 (the model's fix, checked: passes 2/2 expectations)"],
    });
    assert.equal(outcome.showFixes, true);
    assert.match(outcome.text, /^mgdebug: 1 checked fix for count_vowels; the first: rewrite of line 9/);
  });

  it("says why the model could not help, as a warning, when no fix came back", () => {
    const outcome = askModelOutcome({ function: "f", status: "fail", fixes: [], message: "mgdebug: the model could not help: cannot reach it" });
    assert.deepEqual(outcome, { text: "mgdebug: the model could not help: cannot reach it", showFixes: false, warning: true });
  });

  it("never claims a fix for an answer without one", () => {
    assert.equal(askModelOutcome({ function: "f", status: "fail", fixes: [] }).showFixes, false);
    assert.equal(askModelOutcome(null).showFixes, false);
    assert.equal(askModelOutcome({ fixes: [3] }).showFixes, false);
    assert.match(askModelOutcome({ function: "f", status: "pass", fixes: [] }).text, /passes every expectation/);
  });
});
