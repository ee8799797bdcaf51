// The e2e's bookkeeping: named stages that pass or fail with a one-line detail, screenshots,
// and summary.json. Kept apart from the editor driving so run.mjs reads as the list of checks.
import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
export const log = (msg) => console.log(`e2e: ${msg}`);

export class Harness {
  /** @param {string} resultsDir  @param {string} repoRoot */
  constructor(resultsDir, repoRoot) {
    this.resultsDir = resultsDir;
    this.repoRoot = repoRoot;
    mkdirSync(resultsDir, { recursive: true });
    // Only this run's screenshots and logs: a stale one would show what this run did not see.
    for (const f of readdirSync(resultsDir)) {
      if (/\.(png|log|json)$/.test(f)) rmSync(path.join(resultsDir, f), { force: true });
    }
    /** What the run saw, stage by stage; written to summary.json. */
    this.summary = { startedAt: new Date().toISOString(), stages: {}, screenshots: [], seen: {} };
  }

  pass(stage, detail) {
    this.summary.stages[stage] = { ok: true, detail };
    log(`PASS ${stage}: ${detail}`);
  }

  fail(stage, detail) {
    this.summary.stages[stage] = { ok: false, detail };
    log(`FAIL ${stage}: ${detail}`);
  }

  /** Records a stage from a list of named conditions: it passes when all hold. */
  check(stage, conditions, seen) {
    const broken = conditions.filter(([, ok]) => !ok).map(([what]) => what);
    const detail = broken.length === 0 ? seen : `${broken.join("; ")} — saw: ${seen}`;
    (broken.length === 0 ? this.pass : this.fail).call(this, stage, detail);
    return broken.length === 0;
  }

  ok(stage) {
    return this.summary.stages[stage]?.ok === true;
  }

  /** Stores what the run observed under `key` (lens texts, problems, menu items...). */
  saw(key, value) {
    this.summary.seen[key] = value;
  }

  async shot(page, name) {
    const file = path.join(this.resultsDir, `${name}.png`);
    try {
      await page.screenshot({ path: file });
      this.summary.screenshots.push(path.relative(this.repoRoot, file));
      log(`screenshot ${path.relative(this.repoRoot, file)}`);
    } catch (error) {
      log(`screenshot ${name} failed: ${error instanceof Error ? error.message.split("\n")[0] : error}`);
    }
  }

  write(extra = {}) {
    Object.assign(this.summary, extra, { finishedAt: new Date().toISOString() });
    writeFileSync(path.join(this.resultsDir, "summary.json"), `${JSON.stringify(this.summary, null, 2)}\n`);
  }
}

/** The first line of an error's message, for a stage's detail. */
export function reason(error) {
  return error instanceof Error ? error.message.split("\n")[0] : String(error);
}
