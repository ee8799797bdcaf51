/**
 * Which program starts the mgdebug language server.
 *
 * Pure: no `vscode` import. File-system and environment access come in through
 * `ResolveEnv`, so the order of sources can be tested without VS Code.
 *
 * Order (the first that yields a program wins):
 *   1. `mgdebug.path`        – an `mgdebug` executable, started as `<path> lsp`;
 *   2. `mgdebug.interpreter` – a Python, started as `<python> -m mgdebug.server lsp`;
 *   3. the interpreter selected in the Python extension (ms-python.python);
 *   4. `python3`, then `python`, on PATH.
 * Settings the user wrote win over the Python extension's choice, as in the
 * ruff, black and pylint extensions; a setting that points nowhere is reported
 * once and the next source is tried.
 */

export const SERVER_MODULE = "mgdebug.server";
export const IMPORT_CHECK = "import mgdebug.server";
export const PIP_PACKAGE = "mgdebug";

export type CommandSource = "mgdebug.path" | "mgdebug.interpreter" | "python-extension" | "PATH";

export interface ServerCommand {
  /** The program to spawn. */
  command: string;
  /** Its arguments (the server speaks LSP over stdio). */
  args: string[];
  /** Where the program came from, for the log and for messages. */
  source: CommandSource;
  /** The Python interpreter, when the server is started through one (absent for `mgdebug.path`). */
  python?: string;
}

export interface ResolveInput {
  /** `mgdebug.path` as configured (may be empty). */
  pathSetting: readonly string[];
  /** `mgdebug.interpreter` as configured (may be empty). */
  interpreterSetting: readonly string[];
  /** The Python extension's active interpreter, if it is installed and has one. */
  pythonExtensionInterpreter?: string | undefined;
}

export interface ResolveEnv {
  /** True when a file exists at this absolute path. */
  exists(path: string): boolean;
  /** Variables available to `${env:NAME}` and used for PATH lookups. */
  env: Readonly<Record<string, string | undefined>>;
  workspaceFolder?: string | undefined;
  userHome?: string | undefined;
  platform: NodeJS.Platform | string;
}

export type Resolution =
  | { ok: true; command: ServerCommand; warnings: string[] }
  | { ok: false; warnings: string[]; message: string };

/** Expands `${workspaceFolder}`, `${userHome}`, `${env:NAME}` and a leading `~`. */
export function expandVariables(value: string, env: ResolveEnv): string {
  let out = value.trim();
  if (env.userHome && (out === "~" || out.startsWith("~/") || out.startsWith("~\\"))) {
    out = env.userHome + out.slice(1);
  }
  return out.replace(/\$\{([^}]+)\}/g, (whole, name: string) => {
    if (name === "workspaceFolder" && env.workspaceFolder) return env.workspaceFolder;
    if (name === "userHome" && env.userHome) return env.userHome;
    if (name.startsWith("env:")) return env.env[name.slice(4)] ?? "";
    return whole;
  });
}

function isWindows(platform: string): boolean {
  return platform === "win32";
}

function hasSeparator(p: string): boolean {
  return p.includes("/") || p.includes("\\");
}

function joinPath(dir: string, name: string, platform: string): string {
  const sep = isWindows(platform) ? "\\" : "/";
  return dir.endsWith("/") || dir.endsWith("\\") ? dir + name : dir + sep + name;
}

/** Finds a bare program name on PATH (with PATHEXT on Windows), like `which`. */
export function which(name: string, env: ResolveEnv): string | undefined {
  if (hasSeparator(name)) return env.exists(name) ? name : undefined;
  const win = isWindows(env.platform);
  const pathVar = env.env.PATH ?? env.env.Path ?? "";
  const dirs = pathVar.split(win ? ";" : ":").filter((d) => d.length > 0);
  const exts = win
    ? ["", ...(env.env.PATHEXT ?? ".COM;.EXE;.BAT;.CMD").split(";").map((e) => e.toLowerCase())]
    : [""];
  for (const dir of dirs) {
    for (const ext of exts) {
      const candidate = joinPath(dir, name + ext, env.platform);
      if (env.exists(candidate)) return candidate;
    }
  }
  return undefined;
}

/** The first entry of a path-list setting that names an existing program. */
function firstExisting(entries: readonly string[], env: ResolveEnv): string | undefined {
  for (const raw of entries) {
    if (typeof raw !== "string" || raw.trim() === "") continue;
    const expanded = expandVariables(raw, env);
    const found = which(expanded, env);
    if (found) return found;
  }
  return undefined;
}

function pythonCommand(python: string, source: CommandSource): ServerCommand {
  return { command: python, args: ["-m", SERVER_MODULE, "lsp"], source, python };
}

export function resolveServerCommand(input: ResolveInput, env: ResolveEnv): Resolution {
  const warnings: string[] = [];
  const paths = input.pathSetting.filter((p) => typeof p === "string" && p.trim() !== "");
  if (paths.length > 0) {
    const found = firstExisting(paths, env);
    if (found) {
      return { ok: true, command: { command: found, args: ["lsp"], source: "mgdebug.path" }, warnings };
    }
    warnings.push(
      `None of the programs in mgdebug.path exists (${paths.join(", ")}); trying the Python interpreter instead.`,
    );
  }
  const interpreters = input.interpreterSetting.filter((p) => typeof p === "string" && p.trim() !== "");
  if (interpreters.length > 0) {
    const found = firstExisting(interpreters, env);
    if (found) return { ok: true, command: pythonCommand(found, "mgdebug.interpreter"), warnings };
    warnings.push(
      `None of the interpreters in mgdebug.interpreter exists (${interpreters.join(", ")}); using the Python extension's or PATH's Python instead.`,
    );
  }
  const fromExtension = input.pythonExtensionInterpreter;
  if (fromExtension && fromExtension.trim() !== "") {
    const found = which(fromExtension, env);
    if (found) return { ok: true, command: pythonCommand(found, "python-extension"), warnings };
    warnings.push(`The Python extension's interpreter (${fromExtension}) does not exist; looking on PATH.`);
  }
  const names = isWindows(env.platform) ? ["python", "python3", "py"] : ["python3", "python"];
  for (const name of names) {
    const found = which(name, env);
    if (found) return { ok: true, command: pythonCommand(found, "PATH"), warnings };
  }
  return {
    ok: false,
    warnings,
    message:
      "mgdebug could not find Python: select an interpreter with the Python extension, " +
      "set mgdebug.interpreter, or put python3 on PATH.",
  };
}

/** Quotes one argument for the integrated terminal's shell. */
export function shellQuote(arg: string, platform: string): string {
  if (/^[A-Za-z0-9_@%+=:,./\\-]+$/.test(arg)) return arg;
  if (isWindows(platform)) return `"${arg.replace(/"/g, '""')}"`;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** The command line that installs mgdebug into `python`, to run in a terminal. */
export function installCommandLine(python: string, platform: string): string {
  const args = ["-m", "pip", "install", PIP_PACKAGE];
  const quoted = shellQuote(python, platform);
  // PowerShell (the Windows default) needs the call operator before a quoted path.
  const prefix = isWindows(platform) && quoted.startsWith('"') ? "& " : "";
  return `${prefix}${quoted} ${args.join(" ")}`;
}

/** Placeholder for the user's clone of the mgdebug repository, shown in install advice. */
export const CHECKOUT_PLACEHOLDER = "/path/to/mgdebug-checkout";

/**
 * The command line that installs mgdebug from a local clone, as the advice shows it.
 * mgdebug is not on PyPI yet, so today this is the way that works.
 */
export function checkoutInstallCommandLine(python: string, platform: string): string {
  const quoted = shellQuote(python, platform);
  const prefix = isWindows(platform) && quoted.startsWith('"') ? "& " : "";
  return `${prefix}${quoted} -m pip install ${CHECKOUT_PLACEHOLDER}`;
}

/**
 * What the user is told when mgdebug is missing. The "Install mgdebug" button runs
 * `installCommandLine` (`pip install mgdebug`), which only works once mgdebug is published
 * on PyPI; until then it has to come from a clone, and the message says so.
 */
export function missingInstallAdvice(python: string, platform: string): string {
  return (
    `mgdebug is not on PyPI yet: install it from a clone of the mgdebug repository with ` +
    `\`${checkoutInstallCommandLine(python, platform)}\` (or \`pip install -e .\` inside the clone, ` +
    `with this interpreter). "Install mgdebug" runs \`pip install mgdebug\`, which works only once it is published.`
  );
}

/** Renders a command for the log, e.g. `/usr/bin/python3 -m mgdebug.server lsp`. */
export function describeCommand(cmd: ServerCommand, platform: string): string {
  return [cmd.command, ...cmd.args].map((a) => shellQuote(a, platform)).join(" ");
}

export type ImportCheck =
  | { kind: "ok" }
  | { kind: "no-python"; detail: string }
  | { kind: "missing"; detail: string }
  | { kind: "broken"; detail: string };

/**
 * Interprets `<python> -c "import mgdebug.server"`: `code` is the spawn error
 * code (e.g. "ENOENT") when it could not run, `exitCode` otherwise.
 */
export function classifyImportCheck(result: {
  errorCode?: string | undefined;
  exitCode?: number | null | undefined;
  timedOut?: boolean | undefined;
  stderr: string;
}): ImportCheck {
  const detail = result.stderr.trim().split(/\r?\n/).slice(-3).join("\n");
  if (result.errorCode === "ENOENT" || result.errorCode === "EACCES" || result.errorCode === "ENOTDIR") {
    return { kind: "no-python", detail: result.errorCode };
  }
  if (result.timedOut) return { kind: "broken", detail: "the import check timed out" };
  if (result.exitCode === 0 && !result.errorCode) return { kind: "ok" };
  if (/No module named ['"]?mgdebug/.test(result.stderr)) return { kind: "missing", detail };
  return { kind: "broken", detail: detail || `exit code ${String(result.exitCode ?? result.errorCode)}` };
}
