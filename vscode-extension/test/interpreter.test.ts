import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  checkoutInstallCommandLine,
  classifyImportCheck,
  describeCommand,
  expandVariables,
  installCommandLine,
  missingInstallAdvice,
  type ResolveEnv,
  resolveServerCommand,
  shellQuote,
  which,
} from "../src/interpreter";

function env(files: string[], extra: Partial<ResolveEnv> = {}): ResolveEnv {
  const set = new Set(files);
  return {
    exists: (p) => set.has(p),
    env: { PATH: "/usr/local/bin:/usr/bin", HOME: "/home/u" },
    workspaceFolder: "/ws",
    userHome: "/home/u",
    platform: "linux",
    ...extra,
  };
}

const none = { pathSetting: [], interpreterSetting: [] };

describe("expandVariables", () => {
  it("expands workspaceFolder, userHome, env and ~", () => {
    const e = env([], { env: { VENV: "/v" } });
    assert.equal(expandVariables("${workspaceFolder}/.venv/bin/python", e), "/ws/.venv/bin/python");
    assert.equal(expandVariables("~/py/bin/python", e), "/home/u/py/bin/python");
    assert.equal(expandVariables("${userHome}/x", e), "/home/u/x");
    assert.equal(expandVariables("${env:VENV}/bin/python", e), "/v/bin/python");
    assert.equal(expandVariables("${env:MISSING}x", e), "x");
    assert.equal(expandVariables("${unknown}/p", e), "${unknown}/p");
  });
});

describe("which", () => {
  it("finds a program on PATH in order", () => {
    const e = env(["/usr/bin/python3", "/usr/local/bin/python3"]);
    assert.equal(which("python3", e), "/usr/local/bin/python3");
    assert.equal(which("python", e), undefined);
  });
  it("uses PATHEXT on Windows", () => {
    const e = env(["C:\\Py\\python.exe"], { platform: "win32", env: { PATH: "C:\\Py;C:\\Windows", PATHEXT: ".EXE;.BAT" } });
    assert.equal(which("python", e), "C:\\Py\\python.exe");
  });
  it("checks a path with a separator directly", () => {
    assert.equal(which("/opt/py/bin/python", env(["/opt/py/bin/python"])), "/opt/py/bin/python");
    assert.equal(which("/opt/none/python", env([])), undefined);
  });
});

describe("resolveServerCommand", () => {
  it("starts mgdebug.path as `<path> lsp` before anything else", () => {
    const r = resolveServerCommand(
      { pathSetting: ["/nope/mgdebug", "${workspaceFolder}/bin/mgdebug"], interpreterSetting: ["/usr/bin/python3"], pythonExtensionInterpreter: "/usr/bin/python3" },
      env(["/ws/bin/mgdebug", "/usr/bin/python3"]),
    );
    assert.ok(r.ok);
    assert.deepEqual(r.command, { command: "/ws/bin/mgdebug", args: ["lsp"], source: "mgdebug.path" });
    assert.deepEqual(r.warnings, []);
  });

  it("uses mgdebug.interpreter as `<python> -m mgdebug.server lsp`", () => {
    const r = resolveServerCommand(
      { pathSetting: [], interpreterSetting: ["${workspaceFolder}/.venv/bin/python"], pythonExtensionInterpreter: "/usr/bin/python3" },
      env(["/ws/.venv/bin/python", "/usr/bin/python3"]),
    );
    assert.ok(r.ok);
    assert.equal(r.command.command, "/ws/.venv/bin/python");
    assert.deepEqual(r.command.args, ["-m", "mgdebug.server", "lsp"]);
    assert.equal(r.command.source, "mgdebug.interpreter");
    assert.equal(r.command.python, "/ws/.venv/bin/python");
  });

  it("uses the Python extension's interpreter when no setting names one", () => {
    const r = resolveServerCommand({ ...none, pythonExtensionInterpreter: "/envs/a/bin/python" }, env(["/envs/a/bin/python", "/usr/bin/python3"]));
    assert.ok(r.ok);
    assert.equal(r.command.source, "python-extension");
    assert.equal(r.command.command, "/envs/a/bin/python");
  });

  it("falls back to python3, then python, on PATH", () => {
    let r = resolveServerCommand(none, env(["/usr/bin/python3", "/usr/bin/python"]));
    assert.ok(r.ok);
    assert.equal(r.command.command, "/usr/bin/python3");
    assert.equal(r.command.source, "PATH");
    r = resolveServerCommand(none, env(["/usr/bin/python"]));
    assert.ok(r.ok);
    assert.equal(r.command.command, "/usr/bin/python");
  });

  it("warns once per bad setting and falls through", () => {
    const r = resolveServerCommand(
      { pathSetting: ["/gone/mgdebug"], interpreterSetting: ["/gone/python"], pythonExtensionInterpreter: "/gone/too" },
      env(["/usr/bin/python3"]),
    );
    assert.ok(r.ok);
    assert.equal(r.command.source, "PATH");
    assert.equal(r.warnings.length, 3);
    assert.match(r.warnings[0]!, /mgdebug\.path/);
    assert.match(r.warnings[1]!, /mgdebug\.interpreter/);
  });

  it("says clearly when no Python exists", () => {
    const r = resolveServerCommand(none, env([]));
    assert.equal(r.ok, false);
    if (!r.ok) assert.match(r.message, /could not find Python/);
  });

  it("ignores blank entries", () => {
    const r = resolveServerCommand({ pathSetting: ["  "], interpreterSetting: [""] }, env(["/usr/bin/python3"]));
    assert.ok(r.ok);
    assert.deepEqual(r.warnings, []);
  });
});

describe("install command and quoting", () => {
  it("quotes for POSIX shells", () => {
    assert.equal(shellQuote("/usr/bin/python3", "linux"), "/usr/bin/python3");
    assert.equal(shellQuote("/my env/python", "linux"), "'/my env/python'");
    assert.equal(shellQuote("/it's/python", "linux"), "'/it'\\''s/python'");
    assert.equal(installCommandLine("/usr/bin/python3", "linux"), "/usr/bin/python3 -m pip install mgdebug");
  });
  it("uses the call operator for quoted paths on Windows", () => {
    assert.equal(installCommandLine("C:\\Program Files\\Python\\python.exe", "win32"), '& "C:\\Program Files\\Python\\python.exe" -m pip install mgdebug');
  });
  it("says mgdebug must come from a clone until it is on PyPI", () => {
    assert.equal(checkoutInstallCommandLine("/usr/bin/python3", "linux"), "/usr/bin/python3 -m pip install /path/to/mgdebug-checkout");
    assert.equal(
      checkoutInstallCommandLine("C:\\Program Files\\Python\\python.exe", "win32"),
      '& "C:\\Program Files\\Python\\python.exe" -m pip install /path/to/mgdebug-checkout',
    );
    const advice = missingInstallAdvice("/my env/python", "linux");
    assert.match(advice, /not on PyPI yet/);
    assert.ok(advice.includes("'/my env/python' -m pip install /path/to/mgdebug-checkout"), advice);
    assert.match(advice, /pip install -e \./);
    assert.match(advice, /"Install mgdebug" runs `pip install mgdebug`, which works only once it is published/);
  });
  it("describes a command for the log", () => {
    assert.equal(
      describeCommand({ command: "/usr/bin/python3", args: ["-m", "mgdebug.server", "lsp"], source: "PATH" }, "linux"),
      "/usr/bin/python3 -m mgdebug.server lsp",
    );
  });
});

describe("classifyImportCheck", () => {
  it("recognizes success, a missing package, a broken one and no python", () => {
    assert.deepEqual(classifyImportCheck({ exitCode: 0, stderr: "" }), { kind: "ok" });
    assert.equal(
      classifyImportCheck({ exitCode: 1, stderr: "Traceback...\nModuleNotFoundError: No module named 'mgdebug'\n" }).kind,
      "missing",
    );
    assert.equal(classifyImportCheck({ exitCode: 1, stderr: "ModuleNotFoundError: No module named 'pygls'\n" }).kind, "broken");
    assert.equal(classifyImportCheck({ errorCode: "ENOENT", stderr: "" }).kind, "no-python");
    assert.equal(classifyImportCheck({ exitCode: null, timedOut: true, stderr: "" }).kind, "broken");
  });
});
