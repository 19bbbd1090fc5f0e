// Checks Kubernetes manifests against the Kubernetes OpenAPI schemas, offline, in two passes:
//   1. kubernetes-models' validators (compiled from the OpenAPI schemas): required fields,
//      types and formats of every object;
//   2. the TypeScript compiler over the same objects typed with kubernetes-models' interfaces:
//      it rejects fields the schema does not know (a misspelt `replicaz`, a probe field at the
//      wrong level), which the first pass lets through.
// Usage: node validate.mjs FILE.yaml...   Exits 1 naming each problem, 0 when all is valid.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";

const here = dirname(fileURLToPath(import.meta.url));
const files = process.argv.slice(2);
if (files.length === 0) {
  console.error("usage: node validate.mjs FILE.yaml...");
  process.exit(2);
}

// "apps/v1" + "Deployment" -> "kubernetes-models/apps/v1/Deployment"; core "v1" has no group.
function modulePath(apiVersion, kind) {
  return `kubernetes-models/${apiVersion}/${kind}`;
}

const problems = [];
const objects = [];  // {where, apiVersion, kind, body}
for (const file of files) {
  const docs = parseAllDocuments(readFileSync(file, "utf8"));
  docs.forEach((doc, index) => {
    const where = `${file} document ${index + 1}`;
    if (doc.errors.length > 0) {
      problems.push(`${where}: not valid YAML: ${doc.errors[0].message}`);
      return;
    }
    const body = doc.toJS();
    if (body === null || body === undefined) return;  // an empty document
    if (typeof body !== "object" || !body.apiVersion || !body.kind) {
      problems.push(`${where}: not a Kubernetes object (no apiVersion or kind)`);
      return;
    }
    objects.push({ where: `${where} (${body.kind} ${body.metadata?.name ?? "?"})`, body });
  });
}

// Pass 1: the compiled schema validators.
for (const object of objects) {
  const { apiVersion, kind } = object.body;
  let model;
  try {
    model = await import(modulePath(apiVersion, kind));
  } catch {
    problems.push(`${object.where}: ${apiVersion} ${kind} is not a kind of the Kubernetes API`);
    object.unknown = true;
    continue;
  }
  try {
    new model[kind](object.body).validate();
  } catch (error) {
    problems.push(`${object.where}: ${error.message}`);
  }
}

// Pass 2: unknown fields, through TypeScript's excess property checks.
const known = objects.filter((object) => !object.unknown);
if (known.length > 0) {
  const lines = [];
  const lineOwner = [];  // line number (1-based) -> object
  const push = (text, owner) => {
    for (const line of text.split("\n")) {
      lines.push(line);
      lineOwner.push(owner);
    }
  };
  known.forEach((object, index) => {
    const { apiVersion, kind } = object.body;
    push(`import type { I${kind} as T${index} } from "${modulePath(apiVersion, kind)}";`, null);
  });
  known.forEach((object, index) => {
    push(`export const object${index}: T${index} = ${JSON.stringify(object.body, null, 2)};`,
         object);
  });
  const work = mkdtempSync(join(here, ".check-"));
  try {
    const source = join(work, "manifests.ts");
    writeFileSync(source, lines.join("\n") + "\n");
    const tsc = join(here, "node_modules", "typescript", "bin", "tsc");
    try {
      execFileSync(process.execPath, [tsc, "--noEmit", "--strict", "--skipLibCheck",
                                      "--module", "nodenext", "--moduleResolution", "nodenext",
                                      source], { encoding: "utf8", stdio: "pipe" });
    } catch (error) {
      const output = `${error.stdout ?? ""}${error.stderr ?? ""}`;
      let reported = 0;
      for (const match of output.matchAll(/manifests\.ts\((\d+),\d+\): error TS\d+: (.*)/g)) {
        const line = Number(match[1]);
        const owner = lineOwner[line - 1];
        const text = (lines[line - 1] ?? "").trim();
        problems.push(`${owner ? owner.where : "manifests"}: ${match[2]} (at: ${text})`);
        ++reported;
      }
      if (reported === 0) problems.push(`the TypeScript check failed: ${output.trim()}`);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

for (const problem of problems) console.error(`FAIL: ${problem}`);
if (problems.length > 0) process.exit(1);
console.log(`schema check passed: ${objects.length} objects in ${files.length} files`);
