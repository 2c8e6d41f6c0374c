// What tupper takes when the spec is silent: one table, which normalise.ts and the view read,
// and which a unit test holds to the schema's documented defaults (schema.json "default").

export const DEFAULTS = {
  /** restart: no, as Docker. */
  restart: { policy: "no", maxRestarts: null },
  /** stop_signal: SIGTERM, as Docker. */
  stopSignal: "TERM",
  /** stop_grace_period: 10s, as Docker. */
  stopGraceMs: 10_000,
  /** shm_size: Docker's /dev/shm, 64m. */
  shmBytes: 64 * 1024 * 1024,
  /** The kernel's default CFS period; Docker uses it for --cpus. */
  cpuPeriodUs: 100_000,
  /** x-tupper.storage. */
  storage: "auto",
  /** x-tupper.userns.size. */
  usernsSize: 65536,
  /** healthcheck: Compose's timings, for the spec's check and for the image's (image_healthcheck). */
  healthcheck: { intervalMs: 30_000, timeoutMs: 30_000, retries: 3, startPeriodMs: 0, startIntervalMs: 5_000 },
  /** logging.options.max-size of the local driver: Docker's 20m (decimal, as Docker reads log sizes). */
  logMaxSizeLocal: 20_000_000,
  /** logging.options.max-file: json-file keeps one file, local five (Docker's). */
  logFiles: { jsonFile: 1, local: 5 },
} as const;
