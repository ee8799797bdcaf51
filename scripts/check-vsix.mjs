#!/usr/bin/env node
// Checks the packaged VS Code extension (a zip): it holds the manifest and the
// bundle, no node_modules or sources, and stays under a size bound.
// Usage: node scripts/check-vsix.mjs [path/to/x.vsix]   (default: vscode-extension/mgdebug.vsix)
import { readFileSync, statSync } from "node:fs";
import { inflateRawSync } from "node:zlib";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const vsix = path.resolve(process.argv[2] ?? path.join(root, "vscode-extension", "mgdebug.vsix"));
const MAX_BYTES = 1024 * 1024; // the minified bundle is ~450 KB raw, ~120 KB zipped

/** Lists the entries of a zip from its central directory. */
function listZip(buf) {
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 65557); i--) {
    if (buf.readUInt32LE(i) === 0x06054b50) { eocd = i; break; }
  }
  if (eocd < 0) throw new Error("not a zip file (no end-of-central-directory record)");
  const count = buf.readUInt16LE(eocd + 10);
  let off = buf.readUInt32LE(eocd + 16);
  const entries = [];
  for (let n = 0; n < count; n++) {
    if (buf.readUInt32LE(off) !== 0x02014b50) throw new Error("corrupt central directory");
    const method = buf.readUInt16LE(off + 10);
    const compressed = buf.readUInt32LE(off + 20);
    const size = buf.readUInt32LE(off + 24);
    const nameLen = buf.readUInt16LE(off + 28);
    const extraLen = buf.readUInt16LE(off + 30);
    const commentLen = buf.readUInt16LE(off + 32);
    const local = buf.readUInt32LE(off + 42);
    const name = buf.toString("utf8", off + 46, off + 46 + nameLen);
    entries.push({ name, method, compressed, size, local });
    off += 46 + nameLen + extraLen + commentLen;
  }
  return entries;
}

function readEntry(buf, e) {
  const nameLen = buf.readUInt16LE(e.local + 26);
  const extraLen = buf.readUInt16LE(e.local + 28);
  const start = e.local + 30 + nameLen + extraLen;
  const data = buf.subarray(start, start + e.compressed);
  return e.method === 0 ? data : inflateRawSync(data);
}

const problems = [];
let bytes;
try {
  bytes = statSync(vsix).size;
} catch {
  console.error(`check-vsix: ${vsix} does not exist; run \`npm run package\` first.`);
  process.exit(2);
}
const buf = readFileSync(vsix);
const entries = listZip(buf);
const names = entries.map((e) => e.name);
const byName = new Map(entries.map((e) => [e.name, e]));

// vsce renames README.md to readme.md and LICENSE to LICENSE.txt: compare case-insensitively.
const lower = new Set(names.map((n) => n.toLowerCase()));
for (const required of [["extension.vsixmanifest"], ["[Content_Types].xml"], ["extension/package.json"], ["extension/dist/extension.js"], ["extension/readme.md"], ["extension/license.txt", "extension/license"]]) {
  if (!required.some((r) => lower.has(r.toLowerCase()))) problems.push(`missing ${required[0]}`);
}
for (const name of names) {
  if (/(^|\/)node_modules\//.test(name)) problems.push(`bundled node_modules: ${name}`);
  if (/\.(ts|map)$/.test(name) && !name.endsWith(".d.ts")) problems.push(`source or map file: ${name}`);
  if (/(^|\/)(src|test|e2e|out)\//.test(name.replace(/^extension\//, ""))) problems.push(`development file: ${name}`);
}
if (bytes > MAX_BYTES) problems.push(`too large: ${bytes} bytes > ${MAX_BYTES}`);

if (byName.has("extension/package.json")) {
  const manifest = JSON.parse(readEntry(buf, byName.get("extension/package.json")).toString("utf8"));
  if (manifest.main !== "./dist/extension.js") problems.push(`package.json main is ${manifest.main}`);
  if (!manifest.engines?.vscode) problems.push("package.json has no engines.vscode");
  if (manifest.capabilities?.untrustedWorkspaces?.supported !== "limited") problems.push("untrustedWorkspaces is not 'limited'");
}
if (byName.has("extension/dist/extension.js")) {
  const bundle = readEntry(buf, byName.get("extension/dist/extension.js")).toString("utf8");
  if (!bundle.includes('require("vscode")')) problems.push("bundle does not load vscode as an external");
  if (/require\("vscode-languageclient/.test(bundle)) problems.push("bundle requires vscode-languageclient at run time (not bundled)");
  if (!bundle.includes("mgdebug.server")) problems.push("bundle does not mention mgdebug.server");
}

console.log(`check-vsix: ${path.relative(process.cwd(), vsix) || vsix}: ${bytes} bytes, ${entries.length} files`);
for (const e of entries) console.log(`  ${String(e.size).padStart(9)}  ${e.name}`);
if (problems.length) {
  for (const p of problems) console.error(`check-vsix: ${p}`);
  process.exit(1);
}
console.log("check-vsix: ok");
