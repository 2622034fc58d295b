// Lists the test files whose result can depend on the database or Redis: those that, directly or through their
// relative imports, read MOGPLEX_TEST_DB / MOGPLEX_TEST_PG_URL / MOGPLEX_TEST_REDIS_URL or call testDialect().
// The PostgreSQL phase of `npm test` runs only these; the rest behave the same on both phases and run once.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const DIRECT = /MOGPLEX_TEST_(DB|PG_URL|REDIS_URL)|testDialect/;
const IMPORT = /(?:from|import)\s*\(?\s*["'](\.{1,2}\/[^"']+)["']/g;

function walk(dir, out = []) {
  for (const name of readdirSync(dir)) {
    if (name === "node_modules" || name === "dist") continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (p.endsWith(".ts")) out.push(p);
  }
  return out;
}

const memo = new Map();
function dependsOnDb(file, visiting = new Set()) {
  if (memo.has(file)) return memo.get(file);
  if (visiting.has(file)) return false;
  visiting.add(file);
  const src = readFileSync(file, "utf8");
  let found = DIRECT.test(src);
  for (const m of found ? [] : src.matchAll(IMPORT)) {
    const target = resolve(dirname(file), m[1]).replace(/\.js$/, ".ts");
    if (existsSync(target) && dependsOnDb(target, visiting)) {
      found = true;
      break;
    }
  }
  visiting.delete(file);
  if (found || visiting.size === 0) memo.set(file, found);
  return found;
}

const dirs = process.argv.slice(2).length > 0 ? process.argv.slice(2) : ["apps/server/src", "packages"];
const tests = dirs.flatMap((d) => walk(join(root, d))).filter((f) => f.endsWith(".test.ts"));
const selected = tests.filter((f) => dependsOnDb(f)).map((f) => relative(root, f));
if (selected.length === 0) {
  console.error("db-tests: no test file depends on the database; the pattern is out of date");
  process.exit(1);
}
process.stdout.write(`${selected.sort().join("\n")}\n`);
