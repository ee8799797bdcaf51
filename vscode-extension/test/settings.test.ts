import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  DEFAULT_SETTINGS,
  didChangeConfigurationParams,
  initializationOptions,
  needsRestart,
  readSettings,
  type SettingKey,
} from "../src/settings";

function getter(values: Partial<Record<SettingKey, unknown>>) {
  return (key: SettingKey) => values[key];
}

describe("readSettings", () => {
  it("gives the defaults for unset values", () => {
    const { settings, problems } = readSettings(getter({}));
    assert.deepEqual(settings, DEFAULT_SETTINGS);
    assert.deepEqual(problems, []);
  });

  it("keeps good values", () => {
    const { settings, problems } = readSettings(
      getter({
        enable: false,
        run: "onType",
        timeBudget: 5,
        inlayValues: true,
        runCode: false,
        interpreter: ["/v/bin/python"],
        path: [],
        "trace.server": "verbose",
      }),
    );
    assert.deepEqual(problems, []);
    assert.equal(settings.run, "onType");
    assert.equal(settings.timeBudget, 5);
    assert.equal(settings.inlayValues, true);
    assert.equal(settings.runCode, false);
    assert.deepEqual(settings.interpreter, ["/v/bin/python"]);
    assert.deepEqual(settings.trace, { server: "verbose" });
  });

  it("falls back per bad value with one problem each", () => {
    const { settings, problems } = readSettings(
      getter({ run: "always", timeBudget: -3, enable: "yes", interpreter: [1, 2], "trace.server": "loud" }),
    );
    assert.equal(settings.run, "onSave");
    assert.equal(settings.timeBudget, 30);
    assert.equal(settings.enable, true);
    assert.deepEqual(settings.interpreter, []);
    assert.deepEqual(settings.trace, { server: "off" });
    assert.equal(problems.length, 5);
    assert.match(problems[0]!, /mgdebug\.enable is "yes"/);
    assert.ok(problems.some((p) => /mgdebug\.run is "always"; expected one of "onSave", "onOpen", "onType"/.test(p)));
  });

  it("accepts a single string where a list is expected and caps the budget", () => {
    const { settings, problems } = readSettings(getter({ interpreter: " /p/python ", timeBudget: 1e9 }));
    assert.deepEqual(settings.interpreter, ["/p/python"]);
    assert.equal(settings.timeBudget, 3600);
    assert.deepEqual(problems, []);
  });

  it("rejects NaN and infinite budgets", () => {
    assert.equal(readSettings(getter({ timeBudget: Number.NaN })).problems.length, 1);
    assert.equal(readSettings(getter({ timeBudget: Number.POSITIVE_INFINITY })).problems.length, 1);
  });

  it("reads maxSuspects as a whole number of lines from 0 to 20", () => {
    assert.equal(readSettings(getter({ maxSuspects: 0 })).settings.maxSuspects, 0);
    for (const bad of [-1, 21, 2.5, "3"]) {
      const { settings, problems } = readSettings(getter({ maxSuspects: bad }));
      assert.equal(settings.maxSuspects, 3);
      assert.equal(problems.length, 1);
    }
  });
});

describe("payloads to the server", () => {
  const settings = readSettings(getter({ runCode: true, interpreter: ["/p"] })).settings;

  it("initializationOptions carry every setting and the trust flag", () => {
    const opts = initializationOptions(settings, true);
    assert.deepEqual(Object.keys(opts).sort(), ["settings", "workspaceTrusted"]);
    assert.equal(opts.workspaceTrusted, true);
    assert.deepEqual(Object.keys(opts.settings).sort(), [
      "enable", "inlayValues", "interpreter", "maxSuspects", "model", "path", "python", "run", "runCode", "timeBudget", "trace",
    ]);
    assert.equal(opts.settings.runCode, true);
    assert.deepEqual(JSON.parse(JSON.stringify(opts)), opts, "JSON-serializable");
  });

  it("never lets an untrusted workspace run code", () => {
    const opts = initializationOptions(settings, false);
    assert.equal(opts.workspaceTrusted, false);
    assert.equal(opts.settings.runCode, false);
    assert.equal(settings.runCode, true, "the input is not mutated");
  });

  it("didChangeConfiguration uses the same shape", () => {
    const params = didChangeConfigurationParams(settings, true);
    assert.deepEqual(params, initializationOptions(settings, true));
    params.settings.interpreter.push("/x");
    assert.deepEqual(settings.interpreter, ["/p"], "copies, not aliases");
  });

  it("runs the code in the Python extension's interpreter, not the server's", () => {
    const opts = initializationOptions(settings, true, "/project/.venv/bin/python");
    assert.equal(opts.settings.python, "/project/.venv/bin/python");
    assert.deepEqual(opts.settings.interpreter, ["/p"], "mgdebug.interpreter still starts the server");
    const later = didChangeConfigurationParams(settings, true, "/other/bin/python");
    assert.equal(later.settings.python, "/other/bin/python");
  });

  it("lets mgdebug.python override the Python extension's interpreter", () => {
    const own = readSettings(getter({ python: " /mine/bin/python " })).settings;
    assert.equal(own.python, "/mine/bin/python");
    assert.equal(initializationOptions(own, true, "/project/.venv/bin/python").settings.python, "/mine/bin/python");
  });

  it("leaves python empty, for the server to find, when nothing is selected", () => {
    assert.equal(initializationOptions(settings, true, undefined).settings.python, "");
    assert.equal(initializationOptions(settings, true, "  ").settings.python, "");
  });

  it("reports a python setting that is not a string", () => {
    const { settings: read, problems } = readSettings(getter({ python: ["/a"] }));
    assert.equal(read.python, "");
    assert.match(problems[0]!, /mgdebug\.python is \["\/a"\]; expected a path/);
  });

  it("sends the model settings as the server's `model` object, copied", () => {
    const own = readSettings(getter({ "model.name": " qwen2.5-coder ", "model.url": "http://localhost:11434/v1" })).settings;
    const opts = initializationOptions(own, true);
    assert.deepEqual(opts.settings.model, { name: "qwen2.5-coder", url: "http://localhost:11434/v1", budget: 20, strategy: "mgdebug" });
    opts.settings.model.name = "changed";
    assert.equal(own.model.name, "qwen2.5-coder", "copies, not aliases");
    assert.equal(needsRestart(own, { ...own, model: { ...own.model, name: "other" } }), false, "sent, not restarted");
  });

  it("checks each model setting on its own", () => {
    const { settings: read, problems } = readSettings(
      getter({ "model.name": 3, "model.url": "localhost:11434", "model.budget": 2.5, "model.strategy": "magic" }),
    );
    assert.deepEqual(read.model, DEFAULT_SETTINGS.model);
    assert.equal(problems.length, 4);
    assert.match(problems[0]!, /mgdebug\.model\.name is 3; expected a model name/);
    assert.ok(problems.some((p) => /mgdebug\.model\.url is "localhost:11434"; expected an http/.test(p)));
    assert.ok(problems.some((p) => /mgdebug\.model\.budget is 2\.5/.test(p)));
    assert.equal(readSettings(getter({ "model.budget": 0 })).settings.model.budget, 0, "0: no model requests");
  });

  it("restarts only when the program changes", () => {
    const other = { ...settings, timeBudget: 3 };
    assert.equal(needsRestart(settings, other), false);
    assert.equal(needsRestart(settings, { ...settings, python: "/v/bin/python" }), false, "sent, not restarted");
    assert.equal(needsRestart(settings, { ...settings, interpreter: ["/q"] }), true);
    assert.equal(needsRestart(settings, { ...settings, path: ["/m"] }), true);
  });
});
