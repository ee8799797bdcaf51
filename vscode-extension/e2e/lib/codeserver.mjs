// code-server (VS Code 1.100 in the browser) for the e2e: installed once by
// scripts/install-code-server.sh, run here with a scratch profile and workspace so the
// user's own VS Code settings and extensions never take part.
import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { log, sleep } from "./harness.mjs";

/** Installs (or finds the cached) code-server; returns the path of its launcher script. */
export function installCodeServer(repoRoot) {
  log("installing code-server (cached after the first run)");
  return execFileSync("bash", [path.join(repoRoot, "scripts", "install-code-server.sh")], {
    stdio: ["ignore", "pipe", "inherit"],
    encoding: "utf8",
  })
    .trim()
    .split("\n")
    .pop();
}

/** Settings that keep the workbench quiet (no tips, trust prompts or update checks) and the
 * server's messages in the output channel's log. */
function settings(python) {
  return {
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
    // Generated files open in the editor group beside; a preview tab would be replaced.
    "workbench.editor.enablePreview": false,
  };
}

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

/**
 * A scratch profile and workspace holding `files` ({name: text}), the .vsix installed into the
 * profile, and code-server started on a free port of 127.0.0.1.
 */
export async function startCodeServer({ launcher, vsix, python, files }) {
  const scratch = mkdtempSync(path.join(os.tmpdir(), "mgdebug-e2e-"));
  const userData = path.join(scratch, "user-data");
  const extensions = path.join(scratch, "extensions");
  const workspace = path.join(scratch, "workspace");
  for (const d of [userData, extensions, workspace, path.join(userData, "User")]) mkdirSync(d, { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(workspace, name), text);
  writeFileSync(path.join(userData, "User", "settings.json"), JSON.stringify(settings(python), null, 2));

  const env = {
    ...process.env,
    XDG_CONFIG_HOME: path.join(scratch, "config"),
    XDG_DATA_HOME: path.join(scratch, "data"),
    XDG_CACHE_HOME: path.join(scratch, "cache"),
  };
  const csArgs = ["--user-data-dir", userData, "--extensions-dir", extensions];
  log(`installing ${path.basename(vsix)} into code-server`);
  const installed = execFileSync("node", [launcher, ...csArgs, "--install-extension", vsix], { env, encoding: "utf8" });
  log(installed.trim().split("\n").pop());

  const host = `127.0.0.1:${await freePort()}`;
  const serverLog = [];
  const proc = spawn(
    "node",
    [launcher, ...csArgs, "--bind-addr", host, "--auth", "none", "--disable-telemetry", "--disable-update-check",
      "--disable-workspace-trust", "--disable-getting-started-override", workspace],
    { env, stdio: ["ignore", "pipe", "pipe"] },
  );
  proc.stdout.on("data", (d) => serverLog.push(String(d)));
  proc.stderr.on("data", (d) => serverLog.push(String(d)));

  const deadline = Date.now() + 60_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`code-server exited: ${serverLog.join("").slice(-2000)}`);
    try {
      if ((await fetch(`http://${host}/healthz`)).ok) break;
    } catch { /* not up yet */ }
    if (Date.now() > deadline) throw new Error(`code-server did not answer on ${host} within 60 s`);
    await sleep(250);
  }
  log(`code-server up on ${host}`);

  return {
    host,
    workspace,
    /** The URL that opens the workspace with `file` in an editor. */
    url(file) {
      const payload = JSON.stringify([["openFile", `vscode-remote://${host}${path.join(workspace, file)}`]]);
      return `http://${host}/?folder=${encodeURIComponent(workspace)}&payload=${encodeURIComponent(payload)}`;
    },
    /** The mgdebug output channel's full text, from its log file (the DOM shows only visible lines). */
    outputText() {
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
    },
    serverLog: () => serverLog.join(""),
    stop({ keep = false } = {}) {
      if (proc.exitCode === null) proc.kill("SIGTERM");
      if (keep) log(`kept the scratch profile and workspace in ${scratch}`);
      else rmSync(scratch, { recursive: true, force: true });
    },
  };
}
