#!/usr/bin/env node
// The tupper command: commander wiring only; the work is in compile.ts.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { basename, dirname, extname, join } from "node:path";
import { Command, CommanderError } from "commander";
import { compileSpec } from "./compile.js";
import { checkScripts, pairsToCheck } from "./check/check.js";
import { specReference } from "./docs/reference.js";
import { explainPlan } from "./explain/explain.js";
import { projectConfig } from "./config/config.js";
import { formatDiagnostic } from "./spec/diagnostics.js";
import { tupperVersion } from "./paths.js";
import { defaultHelperPath, HelperError, type HelperInfo, readHelper } from "./helper/helper.js";

const EXIT_SPEC_ERROR = 2;
const EXIT_FAILURE = 1;

function defaultOutput(spec: string): string {
  return join("generated", `${basename(spec, extname(spec))}.sh`);
}

/** The spec's text, or null after saying why it cannot be read. */
function readSpec(spec: string): string | null {
  try {
    return readFileSync(spec, "utf8");
  } catch (e) {
    process.stderr.write(`tupper: cannot read ${spec}: ${(e as NodeJS.ErrnoException).code ?? String(e)}\n`);
    return null;
  }
}

interface CompileOptions {
  output?: string;
  helper: string;
  embedHelper?: boolean;
}

function compileCommand(spec: string, options: CompileOptions, helper: HelperInfo): number {
  const output = options.output ?? defaultOutput(spec);
  const text = readSpec(spec);
  if (text === null) return EXIT_FAILURE;
  const result = compileSpec(spec, text, output, helper);
  for (const d of result.diagnostics) process.stderr.write(`${formatDiagnostic(d)}\n`);
  if (result.script === undefined) {
    const n = result.diagnostics.filter((d) => d.severity === "error").length;
    process.stderr.write(`tupper: ${spec}: ${n} error${n === 1 ? "" : "s"}; nothing written\n`);
    return EXIT_SPEC_ERROR;
  }
  try {
    // Written whole, then renamed: a reader never sees half a script.
    mkdirSync(dirname(output), { recursive: true });
    const tmp = `${output}.tmp-${process.pid}`;
    writeFileSync(tmp, result.script, { mode: 0o755 });
    renameSync(tmp, output);
  } catch (e) {
    process.stderr.write(`tupper: cannot write ${output}: ${(e as Error).message}\n`);
    return EXIT_FAILURE;
  }
  process.stderr.write(`tupper: wrote ${output}\n`);
  return 0;
}

function explainCommand(spec: string): number {
  const text = readSpec(spec);
  if (text === null) return EXIT_FAILURE;
  const output = defaultOutput(spec);
  const result = compileSpec(spec, text, output);
  for (const d of result.diagnostics) process.stderr.write(`${formatDiagnostic(d)}\n`);
  if (result.plan === undefined) return EXIT_SPEC_ERROR;
  process.stdout.write(explainPlan(result.plan, output));
  return 0;
}

function configCommand(spec: string, profiles: string[]): number {
  const text = readSpec(spec);
  if (text === null) return EXIT_FAILURE;
  const result = compileSpec(spec, text, defaultOutput(spec));
  for (const d of result.diagnostics) process.stderr.write(`${formatDiagnostic(d)}\n`);
  if (result.plan === undefined) return EXIT_SPEC_ERROR;
  const fromEnv = (process.env.COMPOSE_PROFILES ?? "").split(",").filter((p) => p !== "");
  process.stdout.write(projectConfig(result.data as Record<string, unknown>, result.plan, [...fromEnv, ...profiles]));
  return 0;
}

function main(argv: string[]): number {
  let status = 0;
  const program = new Command()
    .name("tupper")
    .description("Compile Compose-style container specs into auditable bash scripts")
    .version(tupperVersion)
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  program
    .command("compile")
    .description("compile each SPEC into a bash script (default: generated/NAME.sh)")
    .argument("<spec...>", "spec files (YAML, Compose format)")
    .option("-o, --output <file>", "where to write the script (one SPEC only)")
    .option("--helper <file>", "the tupper-init the script pins by its sha256", defaultHelperPath)
    .option("--embed-helper", "carry tupper-init inside the script (base64), for hosts where copying two files is a burden")
    .action((specs: string[], options: CompileOptions) => {
      if (options.output !== undefined && specs.length > 1) {
        process.stderr.write("tupper: -o names one output file; give one SPEC with it, or none to write generated/NAME.sh for each\n");
        status = EXIT_FAILURE;
        return;
      }
      const helper = readHelper(options.helper, options.embedHelper === true);
      // Every spec is compiled, whatever the others did; the worst status wins (2 beats 1).
      for (const spec of specs) {
        const result = compileCommand(spec, options, helper);
        if (result === EXIT_SPEC_ERROR || status === 0) status = result === 0 ? status : result;
      }
    });
  program
    .command("check")
    .description("exit 1, with a diff, when a script in generated/ is not what its spec compiles to now (exit 2: a spec has errors)")
    .argument("[spec...]", "spec files (default: the spec named in each generated/*.sh)")
    .option("--helper <file>", "the tupper-init the scripts pin by its sha256", defaultHelperPath)
    .action((specs: string[], options: { helper: string }) => {
      const outcome = checkScripts(pairsToCheck(specs), readHelper(options.helper));
      (outcome.status === 0 ? process.stdout : process.stderr).write(outcome.report);
      status = outcome.status;
    });
  program
    .command("explain")
    .description("say in plain words what the script compiled from SPEC does")
    .argument("<spec>", "the spec file")
    .action((spec: string) => {
      status = explainCommand(spec);
    });
  program
    .command("config")
    .description("print the project as tupper understands it, in Compose's format (like docker compose config)")
    .argument("<spec>", "the spec file")
    .option("--profile <name>", "show the services of this profile too (repeatable; COMPOSE_PROFILES=a,b works as well)", (v: string, prev: string[]) => [...prev, v], [] as string[])
    .action((spec: string, options: { profile: string[] }) => {
      status = configCommand(spec, options.profile);
    });
  program
    .command("docs")
    .description("print the spec reference (docs/spec.md), generated from the JSON Schema")
    .action(() => {
      process.stdout.write(specReference());
    });
  try {
    program.parse(argv);
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : EXIT_FAILURE;
    if (e instanceof HelperError) {
      process.stderr.write(`tupper: ${e.message}\n`);
      return EXIT_FAILURE;
    }
    throw e;
  }
  return status;
}

process.exitCode = main(process.argv);
