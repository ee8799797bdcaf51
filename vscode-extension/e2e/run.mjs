#!/usr/bin/env node
// End-to-end test of the VS Code extension in a real editor: code-server (VS Code
// 1.100 in the browser) driven by Chromium through playwright-core.
//
//   npm run e2e                      # from the repository root (packages the .vsix first)
//   node vscode-extension/e2e/run.mjs [--until=activation|server|diagnostic|quickfix|apply]
//
// Steps: install code-server (scripts/install-code-server.sh, cached), install the
// .vsix into a scratch profile, open a scratch workspace holding a function whose
// doctest fails, then check that
//   1. the extension activates (its status bar item and output channel appear),
//   2. the output channel shows the server start attempt,
//   3. an mgdebug diagnostic appears (Problems panel, Ctrl+Shift+M),
//   4. the quick-fix menu (Ctrl+.) on it offers mgdebug's checked fix,
//   5. choosing that fix edits the buffer and the failing-function problem goes away.
// Screenshots and a summary.json go to vscode-extension/e2e/results/.
//
// Environment: E2E_PYTHON (interpreter with mgdebug installed; default: python3's
// sys.executable), E2E_TIMEOUT_S (wait for the diagnostic, default 90),
// E2E_FIX_PATTERN (regex the quick fix must match, default "^mgdebug:.*xs\[1:\]"),
// CHROMIUM (default /usr/bin/chromium).
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const extDir = path.resolve(here, "..");
const repoRoot = path.resolve(extDir, "..");
const resultsDir = path.join(here, "results");
const vsix = process.env.E2E_VSIX ?? path.join(extDir, "mgdebug.vsix");
const chromiumPath = process.env.CHROMIUM ?? "/usr/bin/chromium";
const diagnosticTimeoutMs = Number(process.env.E2E_TIMEOUT_S ?? 90) * 1000;
// The checked fix for the scratch file's bug (`xs[1:]` skips the first number).
const fixPattern = new RegExp(process.env.E2E_FIX_PATTERN ?? "^mgdebug:.*xs\\[1:\\]");
const STAGES = ["activation", "server", "diagnostic", "quickfix", "apply"];
const untilArg = process.argv.find((a) => a.startsWith("--until="));
const until = untilArg ? untilArg.slice("--until=".length) : "apply";
if (!STAGES.includes(until)) {
  console.error(`e2e: --until must be one of ${STAGES.join(", ")}`);
  process.exit(2);
}

const summary = { stages: {}, screenshots: [], statusBar: "", outputTail: "", problems: [], quickFixes: [] };
const log = (msg) => console.log(`e2e: ${msg}`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function pass(stage, detail) {
  summary.stages[stage] = { ok: true, detail };
  log(`PASS ${stage}: ${detail}`);
}
function fail(stage, detail) {
  summary.stages[stage] = { ok: false, detail };
  log(`FAIL ${stage}: ${detail}`);
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

log("installing code-server (cached after the first run)");
const launcher = execFileSync("bash", [path.join(repoRoot, "scripts", "install-code-server.sh")], {
  stdio: ["ignore", "pipe", "inherit"],
  encoding: "utf8",
})
  .trim()
  .split("\n")
  .pop();

const python =
  process.env.E2E_PYTHON ??
  execFileSync("python3", ["-c", "import sys; print(sys.executable)"], { encoding: "utf8" }).trim();
log(`server interpreter: ${python}`);

// ---- scratch profile and workspace ----------------------------------------

const scratch = mkdtempSync(path.join(os.tmpdir(), "mgdebug-e2e-"));
const userData = path.join(scratch, "user-data");
const extensions = path.join(scratch, "extensions");
const workspace = path.join(scratch, "workspace");
for (const d of [userData, extensions, workspace, path.join(userData, "User"), resultsDir]) mkdirSync(d, { recursive: true });

const buggyFile = path.join(workspace, "buggy.py");
writeFileSync(
  buggyFile,
  [
    "def total(xs):",
    '    """Return the sum of the numbers in xs.',
    "",
    "    >>> total([1, 2, 3])",
    "    6",
    "    >>> total([])",
    "    0",
    '    """',
    "    result = 0",
    "    for x in xs[1:]:",
    "        result += x",
    "    return result",
    "",
  ].join("\n"),
);
writeFileSync(
  path.join(userData, "User", "settings.json"),
  JSON.stringify(
    {
      "mgdebug.interpreter": [python],
      "mgdebug.trace.server": "messages",
      "security.workspace.trust.enabled": false,
      "workbench.startupEditor": "none",
      "workbench.tips.enabled": false,
      "workbench.enableExperiments": false,
      "extensions.ignoreRecommendations": true,
      "extensions.autoCheckUpdates": false,
      "extensions.autoUpdate": false,
      "telemetry.telemetryLevel": "off",
      "update.mode": "none",
      "chat.commandCenter.enabled": false,
      "window.commandCenter": false,
    },
    null,
    2,
  ),
);

const env = {
  ...process.env,
  XDG_CONFIG_HOME: path.join(scratch, "config"),
  XDG_DATA_HOME: path.join(scratch, "data"),
  XDG_CACHE_HOME: path.join(scratch, "cache"),
};
const csArgs = ["--user-data-dir", userData, "--extensions-dir", extensions];

log(`installing ${path.relative(repoRoot, vsix)} into code-server`);
const installOut = execFileSync("node", [launcher, ...csArgs, "--install-extension", vsix], { env, encoding: "utf8" });
log(installOut.trim().split("\n").pop());

async function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

const port = await freePort();
const host = `127.0.0.1:${port}`;
const serverLog = [];
const codeServer = spawn(
  "node",
  [launcher, ...csArgs, "--bind-addr", host, "--auth", "none", "--disable-telemetry", "--disable-update-check",
    "--disable-workspace-trust", "--disable-getting-started-override", workspace],
  { env, stdio: ["ignore", "pipe", "pipe"] },
);
codeServer.stdout.on("data", (d) => serverLog.push(String(d)));
codeServer.stderr.on("data", (d) => serverLog.push(String(d)));

let browser;
let exitCode;
const cleanup = async () => {
  try { await browser?.close(); } catch { /* already closed */ }
  if (codeServer.exitCode === null) codeServer.kill("SIGTERM");
  writeFileSync(path.join(resultsDir, "summary.json"), JSON.stringify(summary, null, 2));
  writeFileSync(path.join(resultsDir, "code-server.log"), serverLog.join(""));
  writeFileSync(path.join(resultsDir, "mgdebug-output.log"), outputText());
  if (!process.env.E2E_KEEP) rmSync(scratch, { recursive: true, force: true });
};

async function waitForHttp(url, ms) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (codeServer.exitCode !== null) throw new Error(`code-server exited: ${serverLog.join("").slice(-2000)}`);
    try {
      const res = await fetch(url);
      if (res.ok) return;
    } catch { /* not up yet */ }
    await sleep(250);
  }
  throw new Error(`code-server did not answer on ${url} within ${ms} ms`);
}

async function shot(page, name) {
  const file = path.join(resultsDir, `${name}.png`);
  await page.screenshot({ path: file });
  summary.screenshots.push(file);
  log(`screenshot ${path.relative(repoRoot, file)}`);
}

async function runCommand(page, title) {
  await page.keyboard.press("F1");
  const input = page.locator(".quick-input-widget input");
  await input.waitFor({ state: "visible", timeout: 10_000 });
  await input.fill(`>${title}`);
  await page.locator(".quick-input-list .monaco-list-row").first().waitFor({ timeout: 10_000 });
  await sleep(300);
  await page.keyboard.press("Enter");
}

/** The mgdebug output channel's full text, from its log file in the profile (the DOM shows only visible lines). */
function outputText() {
  const found = [];
  const walk = (dir) => {
    let entries;
    try { entries = readdirSync(dir, { withFileTypes: true }); } catch { return; }
    for (const e of entries) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (/mgdebug\.log$/.test(e.name)) found.push(p);
    }
  };
  walk(path.join(userData, "logs"));
  return found.map((f) => readFileSync(f, "utf8")).join("\n");
}

async function statusBarText(page) {
  const item = page.locator('.statusbar-item:has-text("mgdebug")').first();
  try {
    const text = (await item.innerText({ timeout: 1_000 })).trim();
    const label = (await item.getAttribute("aria-label")) ?? "";
    return `${text} [${label}]`;
  } catch {
    return "";
  }
}

try {
  await waitForHttp(`http://${host}/healthz`, 60_000);
  log(`code-server up on ${host}`);

  browser = await chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
      "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"],
  });
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  const payload = JSON.stringify([["openFile", `vscode-remote://${host}${buggyFile}`]]);
  const url = `http://${host}/?folder=${encodeURIComponent(workspace)}&payload=${encodeURIComponent(payload)}`;
  await page.goto(url);
  await page.locator(".monaco-editor .view-lines").first().waitFor({ timeout: 60_000 });
  await page.locator('.tab:has-text("buggy.py")').first().waitFor({ timeout: 30_000 });
  log("editor shows buggy.py");

  // 1. activation: the status bar item of the extension.
  const item = page.locator('.statusbar-item:has-text("mgdebug")').first();
  try {
    await item.waitFor({ state: "visible", timeout: 30_000 });
    summary.statusBar = await statusBarText(page);
    pass("activation", `status bar: ${summary.statusBar}`);
  } catch {
    fail("activation", "no mgdebug status bar item within 30 s");
  }

  // 2. server: the output channel shows the start attempt (and what came of it).
  if (STAGES.indexOf(until) >= 1 && summary.stages.activation?.ok) {
    await sleep(3_000);
    await runCommand(page, "mgdebug: Show Output");
    let text = "";
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      text = outputText();
      if (/Server started|failed|not installed|could not|cannot|stopped/i.test(text)) break;
      await sleep(1_000);
    }
    summary.outputTail = text.split("\n").slice(-40).join("\n");
    summary.statusBar = await statusBarText(page);
    await shot(page, "output");
    if (/Server command/.test(text)) {
      const started = /Server started/.test(text);
      (started ? pass : fail)("server", started ? "server started" : `start attempted but not running; output:\n${summary.outputTail}`);
    } else {
      fail("server", `output channel does not show a start attempt:\n${summary.outputTail}`);
    }
  }

  // 3. diagnostic: the Problems panel lists an mgdebug problem.
  if (STAGES.indexOf(until) >= 2 && summary.stages.server?.ok) {
    await page.locator(".monaco-editor .view-lines").first().click();
    await page.keyboard.press("Control+Shift+M");
    const row = page.locator(".markers-panel .monaco-list-row").filter({ hasText: /mgdebug/i });
    try {
      await row.first().waitFor({ timeout: diagnosticTimeoutMs });
      summary.problems = (await page.locator(".markers-panel .monaco-list-row").allInnerTexts()).map((t) => t.replace(/\s+/g, " "));
      pass("diagnostic", summary.problems.join(" | "));
    } catch {
      summary.problems = (await page.locator(".markers-panel .monaco-list-row").allInnerTexts()).map((t) => t.replace(/\s+/g, " "));
      fail("diagnostic", `no mgdebug problem within ${diagnosticTimeoutMs / 1000} s; problems: ${summary.problems.join(" | ") || "(none)"}`);
    }
    await shot(page, "problems");

    // 4. quickfix: go to the problem, Ctrl+. lists mgdebug's checked fix.
    if (STAGES.indexOf(until) >= 3 && summary.stages.diagnostic?.ok) {
      await row.first().dblclick();
      await sleep(500);
      await page.keyboard.press("Control+.");
      const menu = page.locator(".action-widget .monaco-list-row, .context-view .action-list .monaco-list-row");
      try {
        await menu.first().waitFor({ timeout: 15_000 });
        summary.quickFixes = (await menu.allInnerTexts()).map((t) => t.trim()).filter(Boolean);
        const hit = summary.quickFixes.findIndex((t) => fixPattern.test(t));
        (hit >= 0 ? pass : fail)(
          "quickfix",
          hit >= 0 ? `offers: ${summary.quickFixes[hit]}` : `menu has no ${fixPattern} entry: ${summary.quickFixes.join(" | ")}`,
        );
        await shot(page, "quickfix");

        // 5. apply: choose the fix; the buffer changes and the failing-function problem disappears.
        if (STAGES.indexOf(until) >= 4 && hit >= 0) {
          // The first action is focused (row 0 is the "Quick Fix" header); move down to ours and accept.
          const firstAction = summary.quickFixes.findIndex((t) => t !== "Quick Fix");
          for (let i = firstAction; i < hit; i++) await page.keyboard.press("ArrowDown");
          await page.keyboard.press("Enter");
          const editorText = async () => (await page.locator(".monaco-editor .view-lines").first().innerText()).replace(/\u00a0/g, " ");
          let text = "";
          const deadline = Date.now() + 30_000;
          while (Date.now() < deadline) {
            text = await editorText();
            if (!/xs\[1:\]/.test(text)) break;
            await sleep(500);
          }
          const edited = !/xs\[1:\]/.test(text);
          let cleared = false;
          if (edited) {
            await page.keyboard.press("Control+S");
            const failing = page.locator(".markers-panel .monaco-list-row").filter({ hasText: /failing-function/ });
            const until2 = Date.now() + diagnosticTimeoutMs;
            while (Date.now() < until2 && !cleared) {
              cleared = (await failing.count()) === 0;
              if (!cleared) await sleep(1_000);
            }
          }
          const line = text.split("\n").find((l) => /for x in/.test(l))?.trim() ?? "";
          (edited && cleared ? pass : fail)(
            "apply",
            !edited ? "the buffer still has xs[1:]" : cleared ? `buffer now: ${line}; failing-function problem gone` : `buffer now: ${line}; the problem stayed`,
          );
          await shot(page, "applied");
        }
      } catch (error) {
        fail("quickfix", `the quick-fix menu did not open (${error instanceof Error ? error.message.split("\n")[0] : String(error)})`);
        await shot(page, "quickfix");
      }
    }
  }

  // E2E_HOLD_S: wait before the final screenshot (e.g. to watch restarts after a crash).
  if (process.env.E2E_HOLD_S) await sleep(Number(process.env.E2E_HOLD_S) * 1000);
  await shot(page, "final");
  const wanted = STAGES.slice(0, STAGES.indexOf(until) + 1);
  const failed = wanted.filter((s) => !summary.stages[s]?.ok);
  exitCode = failed.length === 0 ? 0 : 1;
  log(failed.length === 0 ? `all stages up to ${until} passed` : `failed: ${failed.join(", ")}`);
  if (summary.outputTail) log(`mgdebug output (tail):\n${summary.outputTail}`);
} catch (error) {
  log(`error: ${error instanceof Error ? error.stack : String(error)}`);
  exitCode = 1;
} finally {
  await cleanup();
}
log(`summary: ${path.relative(repoRoot, path.join(resultsDir, "summary.json"))}`);
process.exit(exitCode);
