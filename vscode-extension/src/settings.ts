/**
 * mgdebug settings: reading, validating, and the payloads sent to the server.
 *
 * Pure: no `vscode` import. The caller passes a getter over
 * `workspace.getConfiguration("mgdebug")`, so validation and the
 * `initializationOptions` shape are testable without VS Code.
 */

export type RunMode = "onSave" | "onOpen" | "onType";
export type TraceLevel = "off" | "messages" | "verbose";

export type ModelStrategy = "mgdebug" | "mgdebugger" | "ldb";

export const RUN_MODES: readonly RunMode[] = ["onSave", "onOpen", "onType"];
export const TRACE_LEVELS: readonly TraceLevel[] = ["off", "messages", "verbose"];
export const MODEL_STRATEGIES: readonly ModelStrategy[] = ["mgdebug", "mgdebugger", "ldb"];
export const MAX_MODEL_BUDGET = 200;
export const MAX_SUSPECTS = 20;

/**
 * The model the server may ask on save and on request (the server's `model` setting). Empty name and
 * URL leave the choice to MGDEBUG_MODEL / MGDEBUG_MODEL_URL and the project's [tool.mgdebug.model].
 * The API key is no setting: it lives in SecretStorage and reaches the server only in its environment.
 */
export interface ModelSettings {
  name: string;
  url: string;
  budget: number;
  strategy: ModelStrategy;
}

/** Every setting the extension contributes, as the server receives it. */
export interface MgdebugSettings {
  enable: boolean;
  run: RunMode;
  timeBudget: number;
  inlayValues: boolean;
  /** Suspect lines marked, the most likely one included; 0: only the failing functions. */
  maxSuspects: number;
  runCode: boolean;
  /**
   * The Python the code under test runs in (the server's `python` setting). `mgdebug.python` when
   * set; otherwise `serverPayload` fills in the Python extension's selected interpreter.
   */
  python: string;
  interpreter: string[];
  path: string[];
  trace: { server: TraceLevel };
  model: ModelSettings;
}

export const DEFAULT_SETTINGS: Readonly<MgdebugSettings> = Object.freeze<MgdebugSettings>({
  enable: true,
  run: "onSave",
  timeBudget: 30,
  inlayValues: false,
  maxSuspects: 3,
  runCode: true,
  python: "",
  interpreter: [],
  path: [],
  trace: { server: "off" },
  model: Object.freeze<ModelSettings>({ name: "", url: "", budget: 20, strategy: "mgdebug" }),
});

/** The keys under `mgdebug.` that package.json contributes (checked by a test). */
export const SETTING_KEYS = [
  "enable",
  "run",
  "timeBudget",
  "inlayValues",
  "maxSuspects",
  "runCode",
  "python",
  "interpreter",
  "path",
  "trace.server",
  "model.name",
  "model.url",
  "model.budget",
  "model.strategy",
] as const;
export type SettingKey = (typeof SETTING_KEYS)[number];

export const MAX_TIME_BUDGET = 3600;

export interface ReadResult {
  settings: MgdebugSettings;
  /** One sentence per setting that had a bad value and fell back to its default. */
  problems: string[];
}

type Getter = (key: SettingKey) => unknown;

function describe(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** Reads and validates all settings; bad values fall back to defaults with a problem noted. */
export function readSettings(get: Getter): ReadResult {
  const problems: string[] = [];
  const bad = (key: SettingKey, value: unknown, expected: string, fallback: unknown): void => {
    problems.push(`mgdebug.${key} is ${describe(value)}; expected ${expected}. Using ${describe(fallback)}.`);
  };

  const bool = (key: SettingKey, fallback: boolean): boolean => {
    const v = get(key);
    if (v === undefined || v === null) return fallback;
    if (typeof v === "boolean") return v;
    bad(key, v, "true or false", fallback);
    return fallback;
  };

  const oneOf = <T extends string>(key: SettingKey, allowed: readonly T[], fallback: T): T => {
    const v = get(key);
    if (v === undefined || v === null) return fallback;
    if (typeof v === "string" && (allowed as readonly string[]).includes(v)) return v as T;
    bad(key, v, `one of ${allowed.map((a) => `"${a}"`).join(", ")}`, fallback);
    return fallback;
  };

  const list = (key: SettingKey): string[] => {
    const v = get(key);
    if (v === undefined || v === null) return [];
    // A single string is a common hand-written mistake; accept it as a one-item list.
    if (typeof v === "string") return v.trim() === "" ? [] : [v.trim()];
    if (Array.isArray(v) && v.every((x) => typeof x === "string")) {
      return (v as string[]).map((x) => x.trim()).filter((x) => x !== "");
    }
    bad(key, v, "a list of paths", []);
    return [];
  };

  const text = (key: SettingKey, expected = "a path"): string => {
    const v = get(key);
    if (v === undefined || v === null) return "";
    if (typeof v === "string") return v.trim();
    bad(key, v, expected, "");
    return "";
  };

  const budget = (): number => {
    const key: SettingKey = "timeBudget";
    const v = get(key);
    const fallback = DEFAULT_SETTINGS.timeBudget;
    if (v === undefined || v === null) return fallback;
    if (typeof v === "number" && Number.isFinite(v) && v > 0) return Math.min(v, MAX_TIME_BUDGET);
    bad(key, v, `a number of seconds above 0 (at most ${MAX_TIME_BUDGET})`, fallback);
    return fallback;
  };

  const modelBudget = (): number => {
    const key: SettingKey = "model.budget";
    const v = get(key);
    const fallback = DEFAULT_SETTINGS.model.budget;
    if (v === undefined || v === null) return fallback;
    if (typeof v === "number" && Number.isInteger(v) && v >= 0 && v <= MAX_MODEL_BUDGET) return v;
    bad(key, v, `a whole number of model requests from 0 to ${MAX_MODEL_BUDGET}`, fallback);
    return fallback;
  };

  const maxSuspects = (): number => {
    const key: SettingKey = "maxSuspects";
    const v = get(key);
    const fallback = DEFAULT_SETTINGS.maxSuspects;
    if (v === undefined || v === null) return fallback;
    if (typeof v === "number" && Number.isInteger(v) && v >= 0 && v <= MAX_SUSPECTS) return v;
    bad(key, v, `a whole number of lines from 0 to ${MAX_SUSPECTS}`, fallback);
    return fallback;
  };

  const url = (): string => {
    const value = text("model.url", "a URL");
    if (value === "" || /^https?:\/\//i.test(value)) return value;
    bad("model.url", value, "an http:// or https:// URL", "");
    return "";
  };

  const settings: MgdebugSettings = {
    enable: bool("enable", DEFAULT_SETTINGS.enable),
    run: oneOf("run", RUN_MODES, DEFAULT_SETTINGS.run),
    timeBudget: budget(),
    inlayValues: bool("inlayValues", DEFAULT_SETTINGS.inlayValues),
    maxSuspects: maxSuspects(),
    runCode: bool("runCode", DEFAULT_SETTINGS.runCode),
    python: text("python"),
    interpreter: list("interpreter"),
    path: list("path"),
    trace: { server: oneOf("trace.server", TRACE_LEVELS, DEFAULT_SETTINGS.trace.server) },
    model: {
      name: text("model.name", "a model name"),
      url: url(),
      budget: modelBudget(),
      strategy: oneOf("model.strategy", MODEL_STRATEGIES, DEFAULT_SETTINGS.model.strategy),
    },
  };
  return { settings, problems };
}

/**
 * What the server is told. `runCode` is the effective value: false in an
 * untrusted workspace whatever the setting says, so a server that only reads
 * `runCode` is safe too; `workspaceTrusted` says why.
 */
export interface ServerSettingsPayload {
  settings: MgdebugSettings;
  workspaceTrusted: boolean;
}

/**
 * The `python` the server is told: `mgdebug.python` if set, else the Python extension's selected
 * interpreter (the user's project environment, as for running and testing in VS Code), else ""
 * (the server then looks for $VIRTUAL_ENV or a .venv as the command line does). `mgdebug.interpreter`
 * plays no part: it is the Python that runs the server, which may be a separate mgdebug install.
 */
export function codePython(settings: MgdebugSettings, pythonExtensionInterpreter?: string): string {
  return settings.python || (pythonExtensionInterpreter ?? "").trim();
}

export function serverPayload(
  settings: MgdebugSettings,
  workspaceTrusted: boolean,
  pythonExtensionInterpreter?: string,
): ServerSettingsPayload {
  return {
    settings: {
      ...settings,
      runCode: settings.runCode && workspaceTrusted,
      python: codePython(settings, pythonExtensionInterpreter),
      interpreter: [...settings.interpreter],
      path: [...settings.path],
      trace: { ...settings.trace },
      model: { ...settings.model },
    },
    workspaceTrusted,
  };
}

/** `initializationOptions` of the `initialize` request. */
export function initializationOptions(
  settings: MgdebugSettings,
  workspaceTrusted: boolean,
  pythonExtensionInterpreter?: string,
): ServerSettingsPayload {
  return serverPayload(settings, workspaceTrusted, pythonExtensionInterpreter);
}

/** Params of `workspace/didChangeConfiguration`: `{"settings": {...}, "workspaceTrusted": bool}`. */
export function didChangeConfigurationParams(
  settings: MgdebugSettings,
  workspaceTrusted: boolean,
  pythonExtensionInterpreter?: string,
): ServerSettingsPayload {
  return serverPayload(settings, workspaceTrusted, pythonExtensionInterpreter);
}

/** Settings whose change needs a new server process rather than a notification. */
export function needsRestart(before: MgdebugSettings, after: MgdebugSettings): boolean {
  const same = (a: readonly string[], b: readonly string[]): boolean =>
    a.length === b.length && a.every((x, i) => x === b[i]);
  return !same(before.interpreter, after.interpreter) || !same(before.path, after.path);
}
