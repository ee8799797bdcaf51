/**
 * What the status bar item says, in words. Pure: a small state machine fed by the
 * client's state, the server's work-done progress (`$/progress`: what a run is
 * doing now) and its `mgdebug/status` notifications (what the last run found in
 * each document; shown for the active editor's).
 */

export type ServerState = "starting" | "ready" | "stopped" | "error" | "disabled";

export interface ProgressValue {
  kind: "begin" | "report" | "end";
  title?: string;
  message?: string;
  percentage?: number;
}

export interface StatusView {
  /** Text with a codicon, e.g. `$(sync~spin) mgdebug`. */
  text: string;
  tooltip: string;
  /** "error" and "warning" map to the status bar's error/warning backgrounds. */
  severity: "none" | "warning" | "error";
  /** One of idle / running / error, for tests and the e2e check. */
  phase: "idle" | "running" | "error";
}

/** `mgdebug/status` from the server (server/lsp/views.py `status_summary`). */
export interface DocumentSummary {
  /** False until a run has results for the document. */
  results: boolean;
  failing?: number;
  passing?: number;
  /** Some counts are of the text before the user's last edit. */
  edited?: boolean;
  couldNotRun?: boolean;
}

/** Reads a `mgdebug/status` payload; undefined when it is not one. */
export function readSummary(params: unknown): { uri: string; summary: DocumentSummary } | undefined {
  if (typeof params !== "object" || params === null) return undefined;
  const p = params as Record<string, unknown>;
  if (typeof p.uri !== "string" || typeof p.results !== "boolean") return undefined;
  const count = (v: unknown): number | undefined => (typeof v === "number" && v >= 0 ? v : undefined);
  return {
    uri: p.uri,
    summary: {
      results: p.results,
      failing: count(p.failing),
      passing: count(p.passing),
      edited: p.edited === true,
      couldNotRun: p.couldNotRun === true,
    },
  };
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? "" : "s"}`;

/**
 * What a run is doing, in words, from its progress title and message
 * (debugger/engine.py's `report_progress` messages).
 */
export function describeWork(title: string, message?: string): string {
  const text = message ?? "";
  const running = /^running (\d+) expectation/.exec(text);
  if (running) return `running ${plural(Number(running[1]), "expectation")}…`;
  if (/^(searching for checked fixes|checked \d+ candidate)/.test(text)) return "searching for a fix…";
  if (/^ranking lines/.test(text)) return "finding the likely bug…";
  if (/^asking the model for a fix/.test(text)) return "asking the model for a fix…";
  if (/^asking the model/.test(text)) return "asking the model…";
  if (text && text !== "done") return `${text}…`;
  return `${title.replace(/^mgdebug: /, "")}…`;
}

/** What the last run found in one document, in words; undefined before any result. */
export function describeSummary(summary: DocumentSummary | undefined): { text: string; tooltip: string } | undefined {
  if (!summary?.results) return undefined;
  const edited = summary.edited ? "\nFrom the text before your last edit; the next run updates it." : "";
  if (summary.couldNotRun) {
    return { text: "$(warning) mgdebug: could not run the file", tooltip: `mgdebug: the file could not be imported; see its diagnostic.${edited}` };
  }
  const failing = summary.failing ?? 0;
  const passing = summary.passing ?? 0;
  if (failing > 0) {
    const total = failing + passing;
    return {
      text: `$(bug) mgdebug: ${plural(failing, "failing function")}`,
      tooltip: `mgdebug: ${failing} of ${plural(total, "function")} with expectations fail.${edited}`,
    };
  }
  if (passing > 0) {
    return {
      text: "$(check) mgdebug: all expectations pass",
      tooltip: `mgdebug: the expectations of ${plural(passing, "function")} pass.${edited}`,
    };
  }
  return { text: "$(check) mgdebug: no expectations", tooltip: `mgdebug: no function here has expectations (doctests, tests, asserts).${edited}` };
}

interface Work {
  title: string;
  message?: string;
  percentage?: number;
}

export class StatusModel {
  private state: ServerState = "stopped";
  private detail = "";
  private readonly work = new Map<string | number, Work>();
  private readonly summaries = new Map<string, DocumentSummary>();
  private active: string | undefined;

  setState(state: ServerState, detail = ""): void {
    this.state = state;
    this.detail = detail;
    if (state !== "ready") {
      this.work.clear();
      this.summaries.clear();
    }
  }

  /** The server's latest `mgdebug/status` for a document (its URI as the server knows it). */
  summary(uri: string, summary: DocumentSummary): void {
    this.summaries.set(uri, summary);
  }

  /** The document of the active editor, whose summary the item shows; undefined: none. */
  setActive(uri: string | undefined): void {
    this.active = uri;
  }

  progress(token: string | number, value: ProgressValue): void {
    if (value.kind === "end") {
      this.work.delete(token);
      return;
    }
    const prev = this.work.get(token);
    const next: Work = {
      title: value.title ?? prev?.title ?? "Working",
      message: value.message ?? prev?.message,
      percentage: value.percentage ?? prev?.percentage,
    };
    this.work.set(token, next);
  }

  get busy(): boolean {
    return this.work.size > 0 || this.state === "starting";
  }

  view(): StatusView {
    const detail = this.detail ? `\n${this.detail}` : "";
    switch (this.state) {
      case "error":
        return {
          text: "$(error) mgdebug",
          tooltip: `mgdebug: not running${detail}\nClick to show the output.`,
          severity: "error",
          phase: "error",
        };
      case "starting":
        return {
          text: "$(sync~spin) mgdebug: starting the server",
          tooltip: `mgdebug: starting the server${detail}`,
          severity: "none",
          phase: "running",
        };
      case "disabled":
        return {
          text: "$(circle-slash) mgdebug",
          tooltip: `mgdebug: disabled${detail}`,
          severity: "none",
          phase: "idle",
        };
      case "stopped":
        return {
          text: "$(debug-stop) mgdebug",
          tooltip: `mgdebug: server stopped${detail}\nClick to show the output.`,
          severity: "warning",
          phase: "idle",
        };
      case "ready":
        break;
    }
    const items = [...this.work.values()];
    if (items.length === 0) {
      const found = describeSummary(this.active === undefined ? undefined : this.summaries.get(this.active));
      if (found) return { ...found, tooltip: `${found.tooltip}${detail}`, severity: "none", phase: "idle" };
      // Words, not a bare icon: nothing is running and no open file has a result to show.
      return { text: "$(check) mgdebug: ready", tooltip: `mgdebug: idle${detail}`, severity: "none", phase: "idle" };
    }
    const latest = items[items.length - 1]!;
    const pct = latest.percentage !== undefined ? ` ${Math.round(latest.percentage)}%` : "";
    const more = items.length > 1 ? ` (+${items.length - 1})` : "";
    const lines = items.map((w) => [w.title, w.message].filter(Boolean).join(": "));
    return {
      text: `$(sync~spin) mgdebug: ${describeWork(latest.title, latest.message)}${pct}${more}`,
      tooltip: `mgdebug: running\n${lines.join("\n")}`,
      severity: "none",
      phase: "running",
    };
  }
}
