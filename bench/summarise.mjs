// bench/run.sh's results → a Markdown report: machine facts, hyperfine's table of means
// (start and exit), the first-instruction table, the ratios of each tupper row to runc and
// to crun in both, and the processes tupper's start paths spawn.
import { readFileSync } from "node:fs";
import { execSync } from "node:child_process";
import os from "node:os";

const [jsonFile, processesNone, processesBridge, firstInstructionFile] = process.argv.slice(2);
// first-instruction.sh's rows: | name | mean | σ | min | median | max |
const firstInstruction = readFileSync(firstInstructionFile, "utf8").trim().split("\n");
const firstMean = (re) => {
  const row = firstInstruction.find((line) => re.test(line.split("|")[1].trim()));
  return row ? Number(row.split("|")[2]) : undefined;
};
const results = JSON.parse(readFileSync(jsonFile, "utf8")).results;
const ms = (s) => (s * 1000).toFixed(1);
const version = (cmd) => {
  try {
    return execSync(cmd, { encoding: "utf8" }).split("\n")[0].trim();
  } catch {
    return "not found";
  }
};
const cpu = (readFileSync("/proc/cpuinfo", "utf8").match(/model name\s*:\s*(.*)/) ?? [, "unknown"])[1];
const mounts = readFileSync("/proc/self/mounts", "utf8");
const cgroups = mounts.includes(" cgroup2 ") && mounts.includes(" cgroup ") ? "hybrid (v1 controllers, v2 at /sys/fs/cgroup/unified)" : mounts.includes(" cgroup2 ") ? "v2" : "v1";
const find = (re) => results.find((r) => re.test(r.command));
const runc = find(/^runc run/);
const crun = find(/^crun run/);

const lines = [
  `# Start-and-exit of /bin/true, ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC`,
  "",
  `Machine: ${os.hostname()}, Linux ${os.release()}, ${os.cpus().length} × ${cpu}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB; cgroups ${cgroups}.`,
  `Peers: ${version("runc --version")}; ${version("crun --version")}; bwrap ${version("bwrap --version")}; ${version("hyperfine --version")}.`,
  `One hyperfine run (${results[0].times.length} runs each after 5 warm-ups), all rows in one network namespace; state (TUPPER_RUN, runc's and crun's --root) on a tmpfs, as /run is on a systemd host; tupper's bridge network already exists (another container of the project keeps it).`,
  "",
  "| Command | Mean [ms] | σ [ms] | Min [ms] | Max [ms] |",
  "|:---|---:|---:|---:|---:|",
  ...results.map((r) => `| ${r.command} | ${ms(r.mean)} | ${ms(r.stddev)} | ${ms(r.min)} | ${ms(r.max)} |`),
  "",
  "| tupper row | ÷ runc | ÷ crun |",
  "|:---|---:|---:|",
  ...results
    .filter((r) => r.command.startsWith("tupper"))
    .map((r) => `| ${r.command} | ${runc ? (r.mean / runc.mean).toFixed(2) : "-"} | ${crun ? (r.mean / crun.mean).toFixed(2) : "-"} |`),
  "",
  "## To the workload's first instruction",
  "",
  "The same rows with /bin/stamp (bench/stamp.c) as the workload: it prints the clock first thing in main; the harness took the clock just before starting the runtime. Teardown is not in these numbers. The rows alternate run by run.",
  "",
  "| Command | Mean [ms] | σ [ms] | Min [ms] | Median [ms] | Max [ms] |",
  "|:---|---:|---:|---:|---:|---:|",
  ...firstInstruction,
  "",
  "| tupper row | ÷ runc | ÷ crun |",
  "|:---|---:|---:|",
  ...firstInstruction
    .filter((line) => line.split("|")[1].trim().startsWith("tupper"))
    .map((line) => {
      const [, name, mean] = line.split("|");
      const ratio = (peer) => (peer ? (Number(mean) / peer).toFixed(2) : "-");
      return `| ${name.trim()} | ${ratio(firstMean(/^runc run/))} | ${ratio(firstMean(/^crun run/))} |`;
    }),
  "",
  "## Processes tupper's start path spawns (strace -f)",
  "",
  `- \`run --rm none\`: ${processesNone}`,
  `- \`run --rm --service-ports web\` (bridge + port, network already up): ${processesBridge}`,
  "",
];
process.stdout.write(lines.join("\n"));
