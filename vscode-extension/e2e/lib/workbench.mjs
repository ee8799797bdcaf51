// Reading and driving the VS Code workbench in the page: what a user sees (status bar, code
// lenses, squiggles, the Problems panel, the quick-fix menu, notifications) read from the DOM of
// code-server's VS Code 1.100, and what a user does (F1 commands, Quick Open, keys).
/* global document -- the page.evaluate callbacks run in the browser */
import { sleep } from "./harness.mjs";

const norm = (t) => t.replace(/\u00a0/g, " ").replace(/\s+/g, " ").trim();

/** The editor group showing `file` (by tab label) as its active tab. */
export function editorOf(page, file) {
  return page
    .locator(".editor-group-container")
    .filter({ has: page.locator(".tab.active", { hasText: file }) })
    .first()
    .locator(".monaco-editor")
    .first();
}

/** F1, the command's title, then the palette row that shows exactly that title. */
export async function runCommand(page, title) {
  await page.keyboard.press("F1");
  const input = page.locator(".quick-input-widget input");
  await input.waitFor({ state: "visible", timeout: 10_000 });
  await input.fill(`>${title}`);
  const row = page.locator(".quick-input-list .monaco-list-row").filter({ hasText: title }).first();
  await row.waitFor({ timeout: 10_000 });
  await sleep(200);
  await row.click();
}

/** Quick Open (Ctrl+P) on a workspace file; resolves when its tab is active. */
export async function openFile(page, file) {
  await page.keyboard.press("Control+P");
  const input = page.locator(".quick-input-widget input");
  await input.waitFor({ state: "visible", timeout: 10_000 });
  await input.fill(file);
  await page.locator(".quick-input-list .monaco-list-row").filter({ hasText: file }).first().waitFor({ timeout: 10_000 });
  await sleep(200);
  await page.keyboard.press("Enter");
  await page.locator(".tab.active", { hasText: file }).first().waitFor({ timeout: 10_000 });
}

/** The mgdebug status bar item: its text, its accessible label (the first tooltip line), whether it spins. */
export async function statusItem(page) {
  return page.evaluate(() => {
    const items = [...document.querySelectorAll(".statusbar-item")];
    const el = items.find((e) => (e.textContent ?? "").includes("mgdebug") || (e.id ?? "").includes("mgdebug"));
    if (!el) return { text: "", label: "", spinning: false };
    const a = el.querySelector("a") ?? el;
    return {
      text: (el.textContent ?? "").replace(/\s+/g, " ").trim(),
      label: a.getAttribute("aria-label") ?? "",
      spinning: el.querySelector(".codicon-modifier-spin, [class*='~spin']") !== null,
    };
  });
}

/** The status bar's problem counters ("Errors: 1, Warnings: 3" / "No Problems"). */
export async function problemCounts(page) {
  const label = await page.evaluate(() => {
    const el = document.getElementById("status.problems");
    if (!el) return null;
    return (el.querySelector("a") ?? el).getAttribute("aria-label") ?? "";
  });
  const count = (name) => Number(new RegExp(`${name}: (\\d+)`).exec(label ?? "")?.[1] ?? 0);
  return { label, errors: count("Errors"), warnings: count("Warnings"), infos: count("Infos") };
}

/** Squiggles drawn in `editor`, by kind (one element per decorated line segment). */
export async function squiggles(editor) {
  return editor.evaluate((root) => {
    const n = (cls) => root.querySelectorAll(`.view-overlays .${cls}`).length;
    return {
      error: n("squiggly-error"),
      warning: n("squiggly-warning"),
      info: n("squiggly-info"),
      hint: n("squiggly-hint"),
      faded: n("squiggly-inline-unnecessary"),
    };
  });
}

/** The code lens lines of `editor`, as shown ("✓ 2 passed | Debug"). */
export async function lensTexts(editor) {
  const texts = await editor.locator(".codelens-decoration").allInnerTexts();
  return texts.map(norm).filter(Boolean);
}

/** The lines `editor` draws (only the visible ones: the viewport is what the user sees). */
export async function editorText(editor) {
  return (await editor.locator(".view-lines").first().innerText()).replace(/\u00a0/g, " ");
}

/**
 * The Problems panel's rows in order: severity (error/warning/info, or "related" for a related
 * information row), the message, source, code, the code's link (when it has one) and position,
 * and `text`, all of them joined as the row reads.
 */
export async function problemRows(page) {
  return page.evaluate(() =>
    [...document.querySelectorAll(".markers-panel .monaco-list-row")].map((row) => {
      const clean = (el) => (el?.textContent ?? "").replace(/\u00a0/g, " ").replace(/\s+/g, " ").trim();
      const icon = row.querySelector(".marker-icon");
      const severity = icon ? (["error", "warning", "info"].find((s) => icon.classList.contains(s)) ?? "other") : "related";
      const link = row.querySelector("a.monaco-link[href], a.code-link[href]");
      const fields = {
        message: clean(row.querySelector(".marker-message")),
        source: clean(row.querySelector(".marker-source")),
        code: clean(row.querySelector(".marker-code")),
        line: clean(row.querySelector(".marker-line")),
      };
      const text = icon ? `${fields.message} ${fields.source}(${fields.code}) ${fields.line}` : clean(row);
      return { severity, ...fields, codeLink: link ? link.getAttribute("href") : null, text };
    }),
  );
}

/** The open quick-fix / code-action menu: its rows, group headers marked. */
export async function actionMenu(page) {
  return page.evaluate(() =>
    [...document.querySelectorAll(".action-widget .monaco-list-row")].map((row) => ({
      header: row.classList.contains("group-header") || row.querySelector(".group-header") !== null,
      text: (row.textContent ?? "").replace(/\s+/g, " ").trim(),
    })),
  );
}

/** Notification toasts currently shown. */
export async function notifications(page) {
  return (await page.locator(".notifications-toasts .notification-list-item-message").allInnerTexts()).map(norm);
}

/**
 * Polls `read` until `done(value)` holds or `ms` pass; returns the last value read. Reads that
 * throw (the DOM is being redrawn) count as not done.
 */
export async function waitFor(read, done, ms, every = 500) {
  const deadline = Date.now() + ms;
  let value;
  for (;;) {
    try {
      value = await read();
      if (done(value)) return value;
    } catch { /* redrawn under us; read again */ }
    if (Date.now() > deadline) return value;
    await sleep(every);
  }
}

/**
 * Waits until the workbench has settled: the mgdebug item does not spin and `read` returns the
 * same (JSON-equal) value for `quietMs`. Diagnostics come twice (first the failing runs, then the
 * fix search), so a count taken too early would judge the wrong moment.
 */
export async function settle(page, read, ms, quietMs = 4_000) {
  const deadline = Date.now() + ms;
  let last = "";
  let since = Date.now();
  let value;
  while (Date.now() < deadline) {
    value = await read();
    const key = JSON.stringify(value);
    const busy = (await statusItem(page)).spinning;
    if (key !== last || busy) {
      last = key;
      since = Date.now();
    } else if (Date.now() - since >= quietMs) {
      return value;
    }
    await sleep(500);
  }
  return value;
}
