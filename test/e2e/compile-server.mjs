// The tests' compiler, kept warm: one node process runs `tupper compile ...` (dist/src/cli.js,
// the same main as the command) for each request, so that a test pays for a compile, not for
// node's start, the loading of every module and the building of the schema's validator and
// the templates each time: about 1.1 s a compile on the development machine, 13 s in the
// QEMU guest (test/vm), against 20-60 ms (0.5 s in the guest) once warm.
//
// Usage: node compile-server.mjs FIFO   (helpers.bash's compile_spec is the client)
// A request is the path of a directory, one line written to FIFO. The directory holds
//   argv  the arguments after `tupper`, each ended by NUL
//   env   the client's exported environment, NAME=VALUE each ended by NUL
//   cwd   the client's working directory
//   done  a FIFO the client reads
// The server runs cli.js's main with that argv, environment and working directory, writes
// what it printed to `stdout` and `stderr` there, then the exit status to `done`.
// cli.js is evaluated afresh for each request (a new module URL); what it imports stays
// loaded, which is the point. Requests are served one at a time.
import { closeSync, constants, createReadStream, openSync, readFileSync, writeFileSync, writeSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { createInterface } from "node:readline";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const cli = pathToFileURL(join(dirname(fileURLToPath(import.meta.url)), "../../dist/src/cli.js")).href;
const fifo = process.argv[2];
const home = process.cwd();
let n = 0;

const fields = (file) => {
  const parts = readFileSync(file, "utf8").split("\0");
  parts.pop();
  return parts;
};

async function serve(dir) {
  let out = "", err = "", status = 1;
  const write = { stdout: process.stdout.write, stderr: process.stderr.write };
  try {
    const argv = fields(join(dir, "argv"));
    const env = {};
    for (const pair of fields(join(dir, "env"))) {
      const eq = pair.indexOf("=");
      if (eq > 0) env[pair.slice(0, eq)] = pair.slice(eq + 1);
    }
    process.chdir(readFileSync(join(dir, "cwd"), "utf8"));
    for (const name of Object.keys(process.env)) delete process.env[name];
    Object.assign(process.env, env);
    process.stdout.write = (chunk) => ((out += String(chunk)), true);
    process.stderr.write = (chunk) => ((err += String(chunk)), true);
    process.exitCode = 0;
    process.argv = [process.argv0, fileURLToPath(cli), ...argv];
    await import(`${cli}?request=${++n}`);
    status = Number(process.exitCode ?? 0);
  } catch (e) {
    err += `compile-server: ${e?.stack ?? e}\n`;
    status = 1;
  } finally {
    process.stdout.write = write.stdout;
    process.stderr.write = write.stderr;
    process.exitCode = 0;
    process.chdir(home);
  }
  writeFileSync(join(dir, "stdout"), out);
  writeFileSync(join(dir, "stderr"), err);
  await reply(join(dir, "done"), `${status}\n`);
}

// Writes the status to the client's FIFO without ever blocking on it: a client that is gone
// (its test killed) must not stall the server for every later test.
async function reply(done, text) {
  for (let tries = 0; tries < 2000; tries++) {
    try {
      const fd = openSync(done, constants.O_WRONLY | constants.O_NONBLOCK);
      try { writeSync(fd, text); } finally { closeSync(fd); }
      return;
    } catch (e) {
      if (e.code !== "ENXIO") return; // no such FIFO any more
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }
}

// O_RDWR: the FIFO never reads as ended while no client has it open
const requests = createInterface({ input: createReadStream(null, { fd: openSync(fifo, "r+") }) });
let queue = Promise.resolve();
requests.on("line", (dir) => {
  if (dir !== "") queue = queue.then(() => serve(dir));
});
