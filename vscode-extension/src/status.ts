/**
 * What the status bar item says. Pure: a small state machine fed by the
 * client's state and the server's work-done progress (`$/progress`).
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

interface Work {
  title: string;
  message?: string;
  percentage?: number;
}

export class StatusModel {
  private state: ServerState = "stopped";
  private detail = "";
  private readonly work = new Map<string | number, Work>();

  setState(state: ServerState, detail = ""): void {
    this.state = state;
    this.detail = detail;
    if (state !== "ready") this.work.clear();
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
          text: "$(sync~spin) mgdebug",
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
      return { text: "$(check) mgdebug", tooltip: `mgdebug: idle${detail}`, severity: "none", phase: "idle" };
    }
    const first = items[items.length - 1]!;
    const pct = first.percentage !== undefined ? ` ${Math.round(first.percentage)}%` : "";
    const more = items.length > 1 ? ` (+${items.length - 1})` : "";
    const lines = items.map((w) => [w.title, w.message].filter(Boolean).join(": "));
    return {
      text: `$(sync~spin) mgdebug${pct}${more}`,
      tooltip: `mgdebug: running\n${lines.join("\n")}`,
      severity: "none",
      phase: "running",
    };
  }
}
