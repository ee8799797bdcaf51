#!/usr/bin/env node
// End-to-end test of the VS Code extension in a real editor: code-server (VS Code 1.100 in the
// browser) driven by Debian's Chromium through playwright-core. It checks what a user SEES.
//
//   npm run e2e                      # from the repository root (packages the .vsix first)
//   node vscode-extension/e2e/run.mjs [--until=STAGE]
//
// Stages, in order (each named in the output and in results/summary.json):
//   activation    the mgdebug status bar item appears
//   server        the output channel shows "Server started"
//   lens-open     buggy.py's code lens appears after opening, without any edit, and is not stale
//   diagnostic    the Problems panel lists an mgdebug problem           (diagnostics.png)
//   lens-fix      once the fix search is done, the failing function's lens offers "Apply best fix"
//   counts        for the one-bug function: exactly 1 error, at most 1 warning
//   wording       the error sits on the function's name and says, in plain words, the call,
//                 what came back and what was expected; no internal terms (score, metallaxis)
//                 anywhere; its code links to an explanation
//   quickfix      the first mgdebug quick fix (Ctrl+.) is the plain one (`xs[1:]` → `xs`)  (quickfix.png)
//   apply         choosing it makes the loop `for x in xs:`; after saving the error goes away
//   lens-pass     the lens then shows a pass: no "stale", no "failed"   (lens-pass.png)
//   docstring     F1 "mgdebug: Write Docstring" on shapes.py puts `>>>` examples in the buffer;
//                 saved, they pass `python -m doctest`
//   tests         F1 "mgdebug: Generate Tests" opens a test file beside, holding `def test_`;
//                 saved, its tests pass under pytest
//   status        while working the status bar item says what in words; it clears when done
//   output-clean  no Traceback in the mgdebug output channel
//
// Environment: E2E_PYTHON (interpreter with mgdebug installed; default: python3's
// sys.executable), E2E_TIMEOUT_S (wait for results, default 90), E2E_FIX_PATTERN (regex for an
// mgdebug fix of the bug), E2E_KEEP=1 (keep the scratch profile), CHROMIUM (default
// /usr/bin/chromium), E2E_VSIX.
import { execFileSync } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import path from "node:path";
import { clearInterval, setInterval } from "node:timers";
import { fileURLToPath } from "node:url";
import { BUGGY, files } from "./fixtures.mjs";
import { installCodeServer, startCodeServer } from "./lib/codeserver.mjs";
import { Harness, log, reason } from "./lib/harness.mjs";
import { editorOf, statusItem } from "./lib/workbench.mjs";
import basicStages from "./stages/basics.mjs";
import diagnosticStages from "./stages/diagnostics.mjs";
import generateStages from "./stages/generate.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const extDir = path.resolve(here, "..");
const repoRoot = path.resolve(extDir, "..");
const resultsDir = path.join(here, "results");
const vsix = process.env.E2E_VSIX ?? path.join(extDir, "mgdebug.vsix");
const chromiumPath = process.env.CHROMIUM ?? "/usr/bin/chromium";
const timeoutMs = Number(process.env.E2E_TIMEOUT_S ?? 90) * 1000;

const STAGES = ["activation", "server", "lens-open", "diagnostic", "lens-fix", "counts", "wording", "quickfix", "apply",
  "lens-pass", "docstring", "tests", "status", "output-clean"];
const untilArg = process.argv.find((a) => a.startsWith("--until="));
const until = untilArg ? untilArg.slice("--until=".length) : STAGES.at(-1);
if (!STAGES.includes(until)) {
  console.error(`e2e: --until must be one of ${STAGES.join(", ")}`);
  process.exit(2);
}

// ---- prerequisites -------------------------------------------------------

if (!existsSync(chromiumPath)) {
  console.error(`e2e: ${chromiumPath} not found; install Debian's chromium (apt-get install -y chromium) or set CHROMIUM.`);
  process.exit(2);
}
if (!existsSync(vsix)) {
  console.error(`e2e: ${vsix} not found; run \`npm run package\` from the repository root first.`);
  process.exit(2);
}
let chromium;
try {
  ({ chromium } = await import("playwright-core"));
} catch {
  console.error("e2e: playwright-core is not installed; run `npm ci` from the repository root.");
  process.exit(2);
}
const launcher = installCodeServer(repoRoot);
const python =
  process.env.E2E_PYTHON ??
  execFileSync("python3", ["-c", "import sys; print(sys.executable)"], { encoding: "utf8" }).trim();
log(`server interpreter: ${python}`);

// ---- the stages ------------------------------------------------------------

const h = new Harness(resultsDir, repoRoot);
const env = { h, timeoutMs, python };
const [activation, server, status, outputClean] = basicStages(env);
const steps = [activation, server, ...diagnosticStages(env), ...generateStages(env), status, outputClean];
if (steps.map((s) => s.name).join() !== STAGES.join()) throw new Error("e2e: STAGES and the stage modules disagree");


// ---- run -------------------------------------------------------------------

let cs;
let browser;
let exitCode = 1;
const statusSeen = [];
let sampler;
try {
  cs = await startCodeServer({ launcher, vsix, python, files });
  browser = await chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
      "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"],
  });
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await page.goto(cs.url(BUGGY));
  await page.locator(".monaco-editor .view-lines").first().waitFor({ timeout: 60_000 });
  await page.locator(".tab", { hasText: BUGGY }).first().waitFor({ timeout: 30_000 });
  log(`editor shows ${BUGGY}`);
  // What the status bar item says over the run (it should say what is happening in words).
  sampler = setInterval(() => {
    statusItem(page).then((s) => {
      const prev = statusSeen.at(-1);
      if (s.text && !(prev && prev.text === s.text && prev.label === s.label && prev.spinning === s.spinning)) statusSeen.push(s);
    }, () => {});
  }, 500);

  const ctx = { page, cs, statusSeen, buggy: editorOf(page, BUGGY) };
  for (const step of steps.slice(0, STAGES.indexOf(until) + 1)) {
    const missing = step.needs(ctx);
    if (missing) {
      h.fail(step.name, `not run: needs ${missing}`);
      continue;
    }
    const t0 = Date.now();
    try {
      await step.run(ctx);
    } catch (error) {
      h.fail(step.name, `error: ${reason(error)}`);
      await h.shot(page, step.name);
    }
    if (!h.summary.stages[step.name]) h.fail(step.name, "the stage recorded no verdict");
    const stage = h.summary.stages[step.name];
    stage.seconds = Math.round((Date.now() - t0) / 100) / 10;
    stage.screenshot = `${step.shows ?? step.name}.png`;
  }
  clearInterval(sampler);
  await h.shot(page, "final");
  const failed = STAGES.slice(0, STAGES.indexOf(until) + 1).filter((s) => !h.ok(s));
  exitCode = failed.length === 0 ? 0 : 1;
  log(failed.length === 0 ? `all stages up to ${until} passed` : `failed: ${failed.join(", ")}`);
} catch (error) {
  log(`error: ${error instanceof Error ? error.stack : String(error)}`);
} finally {
  clearInterval(sampler);
  h.saw("statusBar", statusSeen);
  try { await browser?.close(); } catch { /* already closed */ }
  if (cs) {
    writeFileSync(path.join(resultsDir, "code-server.log"), cs.serverLog());
    writeFileSync(path.join(resultsDir, "mgdebug-output.log"), cs.outputText());
    cs.stop({ keep: Boolean(process.env.E2E_KEEP) });
  }
  h.write({ until, exitCode });
}
log(`summary: ${path.relative(repoRoot, path.join(resultsDir, "summary.json"))}`);
process.exit(exitCode);
