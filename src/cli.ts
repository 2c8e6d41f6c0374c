#!/usr/bin/env node
// The tupper command: commander wiring only; the work is in compile.ts.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { basename, dirname, extname, join } from "node:path";
import { Command, CommanderError } from "commander";
import { compileRuntime, compileSpec } from "./compile.js";
import { checkScripts, pairsToCheck } from "./check/check.js";
import { specReference } from "./docs/reference.js";
import { explainPlan } from "./explain/explain.js";
import { projectConfig } from "./config/config.js";
import { formatDiagnostic } from "./spec/diagnostics.js";
import { sha256Hex } from "./render/render.js";
import { tupperVersion } from "./paths.js";
import { defaultHelperPath, HelperError, type HelperInfo, readHelper } from "./helper/helper.js";
import { writeLock } from "./lock/lock.js";
import { formatPlatform, hostPlatform, type LockedImage, parsePlatform, registryCredentials, resolveImage } from "./lock/registry.js";

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

/**
 * lock SPEC...: resolves each registry image of each SPEC (after interpolation, as compile
 * sees it) and writes SPEC.lock.json beside it. Spec errors exit 2, a registry that cannot
 * answer 1, with the lock file left as it was.
 */
async function lockCommand(specs: string[], platformText: string | undefined): Promise<number> {
  const platform = platformText === undefined ? hostPlatform() : parsePlatform(platformText);
  if (platform === null) {
    process.stderr.write(`tupper: --platform ${platformText} is not OS/ARCH[/VARIANT] (e.g. linux/amd64, linux/arm/v7)\n`);
    return EXIT_FAILURE;
  }
  const credentials = registryCredentials();
  let status = 0;
  for (const spec of specs) {
    const text = readSpec(spec);
    if (text === null) return EXIT_FAILURE;
    const result = compileSpec(spec, text, defaultOutput(spec), undefined, undefined, true);
    for (const d of result.diagnostics) if (d.severity === "error") process.stderr.write(`${formatDiagnostic(d)}\n`);
    if (result.plan === undefined) return EXIT_SPEC_ERROR;
    const images = new Map<string, LockedImage>();
    // each service's image, or for one that builds (its image: names the result), the images
    // its Dockerfile builds from and copies from
    const wanted = result.plan.services.flatMap((service) => (service.build === null ? [service.image] : [...service.build.images.values()]));
    for (const image of wanted) {
      if (image.kind !== "registry" || images.has(image.reference)) continue;
      try {
        images.set(image.reference, await resolveImage(image, platform, credentials));
      } catch (e) {
        process.stderr.write(`tupper: ${spec}: ${image.reference}: ${(e as Error).message}; the lock file was not changed\n`);
        status = EXIT_FAILURE;
      }
    }
    if (status !== 0) continue;
    const file = writeLock(spec, images);
    process.stderr.write(`tupper: wrote ${file}: ${images.size} image${images.size === 1 ? "" : "s"} pinned for ${formatPlatform(platform)}\n`);
  }
  return status;
}
let pendingLock: Promise<number> | null = null;

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
    .command("lock")
    .description("pin each registry image of SPEC to its manifest, config and layers, in SPEC.lock.json beside it; compile then uses them")
    .argument("<spec...>", "spec files")
    .option("--platform <os/arch>", "the platform of the hosts that run the script (default: this machine's, e.g. linux/amd64)")
    .action((specs: string[], options: { platform?: string }) => {
      pendingLock = lockCommand(specs, options.platform);
    });
  program
    .command("runtime")
    .description("print the runtime that every script of this tupper version holds (its verbs), to review once per release")
    .option("--sha256", "print its sha256 instead: each script's header names the same")
    .action((options: { sha256?: boolean }) => {
      const runtime = compileRuntime();
      process.stdout.write(options.sha256 === true ? `${sha256Hex(runtime)}\n` : runtime);
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
// lock's registry requests finish after main: its status replaces main's then
const lockDone = pendingLock as Promise<number> | null;
if (lockDone !== null) lockDone.then((status) => (process.exitCode = status));
