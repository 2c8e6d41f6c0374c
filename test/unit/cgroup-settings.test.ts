// What the cgroup settings become (src/model/cgroups.ts), and the script's check that a host
// can take them (cgroup_setting_gap in templates/partials/cgroups.sh.hbs), run by bash over
// hosts described by its arrays: v1, v2 with the controller, and without it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cgroupSettings, sharesToWeight } from "../../src/model/cgroups.js";
import { resolveLimits } from "../../src/resolve/limits.js";
import type { Service } from "../../src/spec/schema-types.js";
import { tempDir } from "./helpers.js";

const origin = (...key: (string | number)[]) => ({ key: `services.app.${key.join(".")}`, written: "x" });

/** The settings of service S, its sizes resolved as the compiler resolves them (a problem fails the test). */
function settingsOf(fields: Omit<Service, "image">) {
  const s: Service = { image: "rootfs:./rootfs", ...fields };
  const limits = resolveLimits((path, message) => assert.fail(`${path.join(".")}: ${message}`), ["services", "app"], s);
  return cgroupSettings(s, limits, origin);
}

test("each key becomes its v1 file and its v2 file, or none where v2 has none", () => {
  const settings = settingsOf({
    mem_limit: "32m", mem_reservation: "16m", memswap_limit: "64m", mem_swappiness: 0, oom_kill_disable: true, cpu_shares: 512, cpu_rt_period: 1000000, cpu_rt_runtime: 95000,
  });
  assert.deepEqual(
    settings.map((s) => [s.key.split(".").at(-1), s.v1 && `${s.v1.file}=${s.v1.value}`, s.v2 && `${s.v2.file}=${s.v2.value}`]),
    [
      ["mem_reservation", "memory.soft_limit_in_bytes=16777216", "memory.low=16777216"],
      ["memswap_limit", "memory.memsw.limit_in_bytes=67108864", "memory.swap.max=33554432"],
      ["mem_swappiness", "memory.swappiness=0", null],
      ["oom_kill_disable", "memory.oom_control=1", null],
      ["cpu_shares", "cpu.shares=512", `cpu.weight=${sharesToWeight(512)}`],
      ["cpu_rt_period", "cpu.rt_period_us=1000000", null],
      ["cpu_rt_runtime", "cpu.rt_runtime_us=95000", null],
    ],
  );
  // runc's conversion: the default 1024 is weight 39, the ends are 1 and 10000
  assert.deepEqual([sharesToWeight(2), sharesToWeight(1024), sharesToWeight(262144)], [1, 39, 10000]);
  assert.equal(settingsOf({ mem_limit: "32m", memswap_limit: -1 })[0]!.v2?.value, "max");
});

const template = readFileSync(join(process.cwd(), "templates", "partials", "cgroups.sh.hbs"), "utf8");
const gapFunction = /^cgroup_setting_gap\(\) \{[\s\S]*?^\}$/m.exec(template)?.[0] ?? "";

// REPLY of cgroup_setting_gap for setting WORDS on a host with one hierarchy (VERSION, its
// controllers), whose own cgroup holds FILES.
function gap(words: string[], version: 1 | 2, controllers: string, files: string[]): string {
  const mount = tempDir("tupper-cg-");
  mkdirSync(join(mount, "own"));
  for (const f of files) writeFileSync(join(mount, "own", f), "");
  const script = `${gapFunction}
CG_MOUNT=("${mount}") CG_VERSION=(${version}) CG_CONTROLLERS=(",${controllers},") CG_OWN=(/own) svc_name=app
if cgroup_setting_gap ${words.map((w) => `'${w}'`).join(" ")}; then echo ok; else echo "$REPLY"; fi`;
  const r = spawnSync("bash", ["-c", script], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim();
}

test("cgroup_setting_gap: v1 with the file, v2 with and without an equivalent, a missing controller or kernel file", () => {
  assert.ok(gapFunction.length > 0);
  const swappiness = ["mem_swappiness", "memory", "memory.swappiness", "0", "-", "-"];
  assert.equal(gap(swappiness, 1, "memory", ["memory.swappiness"]), "ok");
  assert.equal(gap(swappiness, 2, "memory,pids", []), "mem_swappiness of service app: cgroup v2, which this host's memory controller is, has no memory file like memory.swappiness; remove it on this host");
  assert.equal(gap(["cpu_shares", "cpu", "cpu.shares", "512", "cpu.weight", "20"], 2, "cpu", []), "ok");
  assert.equal(gap(swappiness, 2, "hugetlb", []), "the memory cgroup controller, for mem_swappiness of service app: this host has none mounted or enabled");
  assert.equal(
    gap(["memswap_limit", "memory", "memory.memsw.limit_in_bytes", "1", "memory.swap.max", "0"], 1, "memory", []),
    "memswap_limit of service app: this kernel does not account swap (memory.memsw.limit_in_bytes is missing); boot it with swapaccount=1, or remove memswap_limit",
  );
  assert.equal(
    gap(["cpu_rt_runtime", "cpu", "cpu.rt_runtime_us", "1", "-", "-"], 1, "cpu,cpuacct", []),
    "cpu_rt_runtime of service app: this kernel has no real-time group scheduling (cpu.rt_runtime_us is missing: CONFIG_RT_GROUP_SCHED); remove cpu_rt_runtime",
  );
});
