/** The manifest (package.json) agrees with the code: settings, commands, trust. */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { OWN_COMMAND_IDS } from "../src/commands";
import { DEFAULT_SETTINGS, MODEL_STRATEGIES, RUN_MODES, SETTING_KEYS, TRACE_LEVELS } from "../src/settings";

// Compiled to out/test/, so the package root is two levels up.
const root = path.resolve(__dirname, "..", "..");
const manifest = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8"));
const props: Record<string, { default: unknown; enum?: string[]; scope?: string; description?: string; markdownDescription?: string }> =
  manifest.contributes.configuration.properties;

function lookup(obj: unknown, dotted: string): unknown {
  return dotted.split(".").reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], obj);
}

describe("package.json", () => {
  it("contributes exactly the settings the code reads, with the same defaults", () => {
    assert.deepEqual(Object.keys(props).sort(), SETTING_KEYS.map((k) => `mgdebug.${k}`).sort());
    for (const key of SETTING_KEYS) {
      assert.deepEqual(props[`mgdebug.${key}`]!.default, lookup(DEFAULT_SETTINGS, key), key);
      const p = props[`mgdebug.${key}`]!;
      assert.ok(p.description || p.markdownDescription, `${key} has a description`);
      assert.ok(p.scope, `${key} has a scope`);
    }
    assert.deepEqual(props["mgdebug.run"]!.enum, [...RUN_MODES]);
    assert.deepEqual(props["mgdebug.trace.server"]!.enum, [...TRACE_LEVELS]);
    assert.deepEqual(props["mgdebug.model.strategy"]!.enum, [...MODEL_STRATEGIES]);
  });

  it("contributes the commands the extension registers", () => {
    const ids = manifest.contributes.commands.map((c: { command: string }) => c.command).sort();
    assert.deepEqual(ids, [...OWN_COMMAND_IDS].sort());
    const titles = Object.fromEntries(
      manifest.contributes.commands.map((c: { command: string; category: string; title: string }) => [c.command, `${c.category}: ${c.title}`]),
    );
    assert.equal(titles["mgdebug.debugFunction"], "mgdebug: Debug Function");
    assert.equal(titles["mgdebug.fix"], "mgdebug: Fix Function");
    assert.equal(titles["mgdebug.askModel"], "mgdebug: Ask the Model for a Fix");
    assert.equal(titles["mgdebug.writeDocstring"], "mgdebug: Write Docstring");
    assert.equal(titles["mgdebug.generateTests"], "mgdebug: Generate Tests");
    assert.equal(titles["mgdebug.setModelApiKey"], "mgdebug: Set Model API Key");
    assert.equal(titles["mgdebug.clearModelApiKey"], "mgdebug: Clear Model API Key");
  });

  it("offers Write Docstring and Generate Tests in the editor's context menu and palette, for Python only", () => {
    const menus: Record<string, { command: string; when?: string; group?: string }[]> = manifest.contributes.menus;
    for (const command of ["mgdebug.writeDocstring", "mgdebug.generateTests"]) {
      const context = menus["editor/context"]!.filter((m) => m.command === command);
      assert.equal(context.length, 1, `${command} in editor/context`);
      assert.equal(context[0]!.when, "editorLangId == python");
      assert.match(context[0]!.group ?? "", /^mgdebug@\d+$/);
      const palette = menus["commandPalette"]!.filter((m) => m.command === command);
      assert.equal(palette.length, 1, `${command} in commandPalette`);
      assert.equal(palette[0]!.when, "editorLangId == python");
    }
    // Every menu entry names a contributed command.
    const ids = new Set(manifest.contributes.commands.map((c: { command: string }) => c.command));
    for (const entries of Object.values(menus)) for (const m of entries) assert.ok(ids.has(m.command), m.command);
  });

  it("has no setting for the API key: it lives in secret storage", () => {
    assert.ok(!Object.keys(props).some((k) => /key|secret|token/i.test(k)));
  });

  it("declares limited support for untrusted workspaces", () => {
    const t = manifest.capabilities.untrustedWorkspaces;
    assert.equal(t.supported, "limited");
    assert.deepEqual(t.restrictedConfigurations, ["mgdebug.interpreter", "mgdebug.path", "mgdebug.model.url"]);
  });

  it("pins the VS Code API to the engine", () => {
    assert.equal(manifest.engines.vscode, "^1.91.0");
    assert.equal(manifest.devDependencies["@types/vscode"], "~1.91.0");
    assert.equal(manifest.main, "./dist/extension.js");
  });

  it("keeps the pure modules free of vscode imports", () => {
    for (const file of ["interpreter.ts", "settings.ts", "backoff.ts", "status.ts", "once.ts", "modelKey.ts", "commands.ts", "generate.ts"]) {
      const text = fs.readFileSync(path.join(root, "src", file), "utf8");
      assert.doesNotMatch(text, /from\s+["']vscode["']|require\(["']vscode["']\)/, file);
    }
  });
});
