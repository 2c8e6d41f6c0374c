// Generated from src/spec/schema.json by scripts/schema-types.mjs: do not edit, change the schema
// and run `make src/spec/schema-types.ts` (test/unit/schema-types.test.ts fails while they differ).
// The shape of a spec that the schema accepts, once interpolated; the resolvers (src/resolve) give the values' meaning.
import type { ShellText } from "./runtime.js";

/** service */
export type Service = {
  /** tupper keeps no annotations; use labels */
  annotations?: never;
  /** false: `up` in the foreground starts the service and does not print its output (`logs SERVICE` does); Ctrl-C still stops it. */
  attach?: boolean;
  /** Block I/O of the container: a relative weight, and read and write limits per device (v1 blkio: blkio.bfq.weight or blkio.weight, blkio.throttle.*; v2: io.weight, io.max). The limits apply to I/O that reaches the device on the container's behalf: direct I/O, and reads; buffered writes reach the disk later, from the kernel's writeback, which cgroup v1 does not charge to the container, so v1 does not slow them. */
  blkio_config?: {
    /** The container's share of block I/O against others (needs the BFQ or CFQ scheduler on the device). */
    weight?: number;
    /** The weight on one device. */
    weight_device?: ({
      /** A block device on the host. */
      path: string;
      /** The weight on that device. */
      weight: number;
    })[];
    /** Read limit per device, in bytes per second. */
    device_read_bps?: ({
      /** A block device on the host, e.g. /dev/sda. */
      path: string;
      /** Bytes per second. */
      rate: string | number;
    })[];
    /** Write limit per device, in bytes per second. */
    device_write_bps?: ({
      /** A block device on the host, e.g. /dev/sda. */
      path: string;
      /** Bytes per second. */
      rate: string | number;
    })[];
    /** Read limit per device, in operations per second. */
    device_read_iops?: ({
      /** A block device on the host, e.g. /dev/sda. */
      path: string;
      /** Operations per second. */
      rate: number;
    })[];
    /** Write limit per device, in operations per second. */
    device_write_iops?: ({
      /** A block device on the host, e.g. /dev/sda. */
      path: string;
      /** Operations per second. */
      rate: number;
    })[];
  };
  /** Build the service's image from a Dockerfile, in tupper's own containers, with a layer cache in the image store. The string form is the context. `tupper compile` reads and compiles the Dockerfile into the script's build verb; `up` and `run` build a missing image first. The image is named by image:, else PROJECT-SERVICE. */
  build?: string | {
    /** The build context: a directory, relative to the spec's directory (default: .). A git URL or a remote tar is not supported. */
    context?: string;
    /** The Dockerfile, relative to the context (default: Dockerfile). */
    dockerfile?: string;
    /** The Dockerfile's text itself, in place of dockerfile. */
    dockerfile_inline?: string;
    /** Build args (ARG values): a map, or a list of NAME=VALUE (NAME alone: from the environment of tupper compile). */
    args?: unknown;
    /** The stage to build (default: the last). */
    target?: string;
    /** Labels added to the image's config. */
    labels?: unknown;
    /** Build without the layer cache, as build --no-cache. */
    no_cache?: boolean;
    /** Resolve the registry base images again, as build --pull. */
    pull?: boolean;
    /** The network of RUN steps: default (the project's bridge, with NAT), or none. */
    network?: "default" | "bridge" | "none";
    /** The size of /dev/shm in RUN steps. */
    shm_size?: string | number;
    /** /etc/hosts lines in RUN steps (HOST=IP or HOST:IP). */
    extra_hosts?: unknown;
    /** Top-level secrets that RUN --mount=type=secret,id=NAME may read. */
    secrets?: string[];
    /** More names the built image gets in the store. */
    tags?: string[];
    /** Named contexts (NAME=PATH) that COPY --from=NAME reads. */
    additional_contexts?: unknown;
    /** Accepted when it names only this host's platform. */
    platforms?: string[];
    /** Accepted and ignored, with a warning: tupper's layer cache is its image store, with nothing to import from a registry (Compose, too, goes on without a cache it cannot reach). */
    cache_from?: string[];
    /** Accepted and ignored, with a warning: tupper's layer cache is its image store, with nothing to export. */
    cache_to?: string[];
    /** tupper does not forward an SSH agent into a build (RUN --mount=type=ssh); copy a deploy key as a secret instead */
    ssh?: never;
    /** isolation is a Windows containers option */
    isolation?: never;
    /** a RUN step runs with Docker's default capabilities, as in BuildKit without entitlements */
    privileged?: never;
    /** a RUN step runs with Docker's default capabilities, as in BuildKit without entitlements */
    entitlements?: never;
    /** RUN steps run with the host's limits */
    ulimits?: never;
    [extension: `x-${string}`]: unknown;
  };
  /** Capabilities to keep beyond Docker's default 14 (NET_ADMIN or CAP_NET_ADMIN; ALL for every one). */
  cap_add?: string[];
  /** Capabilities to drop from Docker's default 14 (ALL drops every one; cap_add then names the few to keep). */
  cap_drop?: string[];
  /** it comes with tupper's security settings */
  cgroup?: never;
  /** it comes with the full cgroup surface */
  cgroup_parent?: never;
  /** Arguments after the entrypoint (Compose semantics). */
  command?: ShellText | ShellText[];
  /** configs are not implemented yet; bind-mount the file read-only (volumes: ["./app.conf:/etc/app.conf:ro"]) */
  configs?: never;
  /** The container's name instead of PROJECT-SERVICE-1: its state directory, its default hostname, and a name other services reach it by. */
  container_name?: string;
  /** it comes with the full cgroup surface */
  cpu_count?: never;
  /** it comes with the full cgroup surface */
  cpu_percent?: never;
  /** The CFS period for cpu_quota, in microseconds (v1 cpu.cfs_period_us, v2 cpu.max). */
  cpu_period?: number;
  /** CPU time the container may use per cpu_period, in microseconds (v1 cpu.cfs_quota_us, v2 cpu.max); cpus says the same as a number of CPUs. */
  cpu_quota?: number;
  /** The period for cpu_rt_runtime (v1 cpu.rt_period_us). */
  cpu_rt_period?: number;
  /** Real-time scheduling time the container may use per cpu_rt_period (v1 cpu.rt_runtime_us). Needs a kernel built with RT group scheduling; a host without it is told so before anything is made. */
  cpu_rt_runtime?: number;
  /** The container's share of CPU time against others when they compete (v1 cpu.shares; v2 cpu.weight, converted as runc does). */
  cpu_shares?: number;
  /** CPU quota in CPUs (cpu.cfs_quota_us / cpu.max). */
  cpus?: string | number;
  /** CPUs the container may use. */
  cpuset?: string;
  /** tupper does not implement it */
  credential_spec?: never;
  /** Services started before this one (and stopped after it): `up SERVICE` starts them too, in order; `stop` and `down` go in reverse order. A cycle is an error. */
  depends_on?: string[] | {
    [key: string]: {
      /** What `up` waits for before starting this service: the dependency's container started, healthy (it needs a healthcheck), or ended with status 0. */
      condition?: "service_started" | "service_healthy" | "service_completed_successfully";
      /** false: a dependency that is not in the project, or fails, is a warning and this service starts anyway. */
      required?: boolean;
      /** Accepted, as in Compose; tupper does not restart this service when the dependency is restarted. */
      restart?: boolean;
    } | null;
  };
  deploy?: {
    resources?: {
      limits?: {
        /** Same as the service's cpus. */
        cpus?: string | number;
        /** Same as the service's mem_limit. */
        memory?: string | number;
        /** Same as the service's pids_limit. */
        pids?: number;
        /** it comes with the full cgroup surface */
        devices?: never;
        /** it comes with the full cgroup surface */
        generic_resources?: never;
        [extension: `x-${string}`]: unknown;
      };
      /** it comes with the full cgroup surface */
      reservations?: never;
      [extension: `x-${string}`]: unknown;
    };
    /** there is no swarm; use scale for replicas */
    mode?: never;
    /** The same as scale. */
    replicas?: number;
    /** tupper does not implement it (no swarm) */
    placement?: never;
    /** tupper does not implement it (no swarm) */
    endpoint_mode?: never;
    /** these are swarm service labels; use the service's labels */
    labels?: never;
    /** it comes with tupper's operations verbs */
    restart_policy?: never;
    /** tupper does not implement it (no swarm) */
    update_config?: never;
    /** tupper does not implement it (no swarm) */
    rollback_config?: never;
    [extension: `x-${string}`]: unknown;
  };
  /** tupper does not implement it */
  develop?: never;
  /** More device cgroup rules, TYPE MAJOR:MINOR ACCESS as in devices.allow (type c, b or a; * for any number; access of r, w and m): the container may then use nodes it makes with mknod. */
  device_cgroup_rules?: string[];
  /** Host device nodes made again in the container (same type, numbers, mode and owner) and allowed in its device cgroup with the permissions given (default rwm). */
  devices?: string[];
  /** Nameservers for /etc/resolv.conf (default: the host's, without loopback ones). */
  dns?: string | string[];
  /** resolv.conf options, e.g. ndots:2. */
  dns_opt?: string[];
  /** Search domains for /etc/resolv.conf. */
  dns_search?: string | string[];
  /** The container's NIS domain name. */
  domainname?: string;
  /** The program to run; setting it clears the default command. */
  entrypoint?: ShellText | ShellText[];
  /** Files of NAME=VALUE lines (the .env format) whose variables the workload gets, read when compiling: the script holds the values. Later files override earlier ones; environment: overrides them all. */
  env_file?: string | (string | {
    /** The file, relative to the spec's directory. */
    path: string;
    /** false: a missing file is skipped (default true). */
    required?: boolean;
    /** tupper reads the .env format only */
    format?: never;
  })[];
  /** Variables for the workload; a name without value passes the host's value at run time. */
  environment?: {
    [key: string]: ShellText | number | boolean | null;
  } | ShellText[];
  /** Documentation only, as in Docker: every port is reachable from the container's networks. */
  expose?: (string | number)[];
  /** extends is not implemented yet; copy the base service's keys into this one */
  extends?: never;
  /** tupper does not implement it (containers of other projects are not reachable by name) */
  external_links?: never;
  /** More /etc/hosts lines: NAME:IP, NAME=IP, or a map; IP host-gateway is the host's address on the first network. */
  extra_hosts?: string[] | {
    [key: string]: string | string[];
  };
  /** it comes with the full cgroup surface */
  gpus?: never;
  /** Supplementary groups for the workload and exec, by name (from the container's /etc/group) or gid. */
  group_add?: (string | number)[];
  /** A command tupper-init runs in the container now and then; ps and inspect show starting, healthy or unhealthy. */
  healthcheck?: {
    /** The check: exit status 0 is healthy. A string runs with /bin/sh -c, as CMD-SHELL. Without test, the image's HEALTHCHECK runs (read from the image config when the service starts), with the timings given here over the image's, as in Compose. */
    test?: ShellText | ShellText[];
    /** Time between checks. */
    interval?: string;
    /** A check running longer fails. */
    timeout?: string;
    /** Consecutive failures that make the container unhealthy. */
    retries?: number;
    /** Failures in this time after a start do not count. */
    start_period?: string;
    /** Time between checks during start_period. */
    start_interval?: string;
    /** No check (as test: ["NONE"]). */
    disable?: boolean;
  };
  /** Host name inside the container (default: the container's name). */
  hostname?: string;
  /** Where the root filesystem comes from. A registry reference is pulled over the OCI distribution API (a bearer token where the registry asks for one, every blob checked against its sha256; `tupper lock` pins it to digests in SPEC.lock.json); oci:, oci-archive: and docker-archive: import an OCI image layout, its tar, or a `docker save` archive. Their layers are stored once and shared; their config's Entrypoint, Cmd, Env, WorkingDir and User apply unless the service sets entrypoint, command, environment, working_dir or user. rootfs: takes a directory or a tar export as the whole filesystem. */
  image?: string;
  /** Run tupper-init as PID 1 to forward signals and reap zombies. */
  init?: boolean;
  /** The IPC namespace (System V IPC, POSIX message queues): private (its own; shareable is the same, as any container's may be joined), host, or service:NAME to share NAME's, which then starts first. */
  ipc?: string;
  /** tupper does not implement it */
  isolation?: never;
  /** label_file is not implemented yet; use labels */
  label_file?: never;
  /** Metadata on the container, shown by inspect (Config.Labels) and ps --json. */
  labels?: {
    [key: string]: string | number | boolean | null;
  } | string[];
  /** SERVICE or SERVICE:ALIAS: another name for a service on a shared network. */
  links?: string[];
  /** Where a detached container's output goes. tupper-init writes each line of the workload's stdout and stderr to the container's log with the time it came (the CRI log format), and rotates the file at max-size, as Docker's json-file driver does; `logs` reads it. */
  logging?: {
    /** json-file and local keep a log `logs` reads; none discards the output. */
    driver?: "json-file" | "local" | "none";
    /** Rotation, as Docker's json-file options. */
    options?: {
      /** The log is rotated when a line would take it past this size. Unset: it grows without limit (json-file). */
      "max-size"?: string | number;
      /** How many files are kept, the current one included; the oldest goes. With 1, the file starts again empty. Only with max-size. */
      "max-file"?: string | number;
      /** Docker's json-file adds the value of each label named here that the container has to every log record's attributes. tupper's records (the CRI format) carry none, so a name that the service's labels, its build's labels or Compose's own com.docker.compose.* labels have is refused; any other is accepted and changes nothing, as in Docker when the container has no such label (a label only the image sets is not added, where Docker would add it). */
      labels?: string;
      /** tupper's log records (CRI format) carry no attributes */
      "labels-regex"?: never;
      /** tupper's log records (CRI format) carry no attributes */
      env?: never;
      /** tupper's log records (CRI format) carry no attributes */
      "env-regex"?: never;
      /** tupper's log records (CRI format) carry no attributes */
      tag?: never;
      /** tupper does not compress rotated logs */
      compress?: never;
    };
  };
  /** The MAC address of eth0. */
  mac_address?: string;
  /** Memory limit (v1 memory.limit_in_bytes, v2 memory.max). */
  mem_limit?: string | number;
  /** A soft limit: under memory pressure the kernel reclaims from containers above it first (v1 memory.soft_limit_in_bytes, v2 memory.low, which protects that much instead). */
  mem_reservation?: string | number;
  /** How readily the kernel swaps the container's anonymous memory (v1 memory.swappiness; cgroup v2 has no such setting, and says so before anything is made). */
  mem_swappiness?: number;
  /** Memory plus swap the container may use, as in Docker (v1 memory.memsw.limit_in_bytes; v2 memory.swap.max, which takes the swap part alone). Needs mem_limit, and a kernel that accounts swap. */
  memswap_limit?: string | number;
  /** tupper does not implement it */
  models?: never;
  /** none: only lo; host: the host's network; bridge: the project's default network; service:NAME: the network namespace of NAME's container (its addresses, ports, /etc/hosts and hostname), which then starts first. Default: the service's networks, else the default network. */
  network_mode?: string;
  /** Networks this service joins, in order: eth0 is on the first. */
  networks?: string[] | {
    [key: string]: {
      /** More names of this service on that network. */
      aliases?: string[];
      /** A fixed address (the network needs ipam.config subnet). */
      ipv4_address?: string;
      /** A fixed IPv6 address (the network needs enable_ipv6 and an ipam.config IPv6 subnet). */
      ipv6_address?: string;
      /** tupper does not implement it */
      link_local_ips?: never;
      /** tupper does not implement it per network; use the service's mac_address */
      mac_address?: never;
      /** tupper does not implement it (interfaces follow the order of networks:) */
      priority?: never;
      /** tupper does not implement it (the first network that is not internal is the default route) */
      gw_priority?: never;
      /** tupper does not implement it */
      driver_opts?: never;
      /** tupper does not implement it (interfaces are eth0, eth1, ...) */
      interface_name?: never;
      [extension: `x-${string}`]: unknown;
    } | null;
  };
  /** At its mem_limit the container waits for memory instead of losing a process to the OOM killer (v1 memory.oom_control; cgroup v2 has no such setting). Needs mem_limit. */
  oom_kill_disable?: boolean;
  /** The container's processes' oom_score_adj: how willing the host's OOM killer is to pick them (1000: first, -1000: never). */
  oom_score_adj?: number;
  /** The PID namespace: unset, its own; host: the host's (the container sees and may signal every process); service:NAME: NAME's, which then starts first (the two see each other's processes, as in a pod). */
  pid?: string;
  /** Maximum number of processes (pids.max). */
  pids_limit?: number;
  /** The platform the service's image is for, os/arch[/variant]: a Linux one. A pull takes the host's own platform from an image index, so the script refuses to start the service on a host of another architecture (for another host's images, run tupper lock --platform there). Empty (after interpolation) is unset, as in Compose. */
  platform?: string;
  /** Ports published on the host: [HOST_IP:][HOST_PORT:]CONTAINER_PORT[/PROTOCOL], or the long form. */
  ports?: (string | number | {
    /** Port inside the container. */
    target: number | string;
    /** Port on the host (default: a free port from 32768-60999, chosen at start). */
    published?: number | string;
    /** Host address the port answers on (default: all). */
    host_ip?: string;
    protocol?: "tcp" | "udp";
    /** Accepted for compatibility; both publish on this host. */
    mode?: "host" | "ingress";
    /** A name for the port, for documentation. */
    name?: string;
    /** The application protocol, for documentation. */
    app_protocol?: string;
    [extension: `x-${string}`]: unknown;
  })[];
  /** it comes with tupper's operations verbs */
  post_start?: never;
  /** it comes with tupper's operations verbs */
  pre_stop?: never;
  /** Lifts every confinement: all capabilities, no seccomp filter, no masked or read-only /proc paths, writable /sys, every device allowed, no_new_privs off. */
  privileged?: boolean;
  /** The service starts with up only when one of these profiles is active (--profile NAME or COMPOSE_PROFILES=a,b), or when named (up SERVICE); without profiles it always starts. */
  profiles?: string[];
  /** tupper does not implement it */
  provider?: never;
  /** When the script pulls a registry image: missing (or if_not_present), only when this host's store lacks it; always, at every start (a tag is resolved again; a lock file's pin stays); never, not at all: a missing image is an error. Files (oci:, archives, rootfs:) are imported when missing. */
  pull_policy?: "missing" | "if_not_present" | "always" | "never";
  /** Mounts the container's root filesystem read-only; volumes, tmpfs mounts and /dev stay writable. */
  read_only?: boolean;
  /** When tupper-init starts the workload again after it exits: always, unless-stopped (the same: there is no daemon to restart), on-failure[:N] (a non-zero status, at most N times); never after stop. Delays double from 100 ms to 10 s between restarts. */
  restart?: string;
  /** tupper does not implement it */
  runtime?: never;
  /** How many containers the service runs (PROJECT-SERVICE-1 ... -N), each with its own address; other services reach them all by the service's name. 0: up starts none. */
  scale?: number;
  /** Top-level secrets this service gets, read-only, at /run/secrets/NAME (or target). */
  secrets?: (string | {
    /** The secret's name under the top-level secrets. */
    source: string;
    /** Where it appears: a name under /run/secrets, or an absolute path. */
    target?: string;
    /** a file secret is the host file itself, bind-mounted; give it its owner on the host */
    uid?: never;
    /** a file secret is the host file itself, bind-mounted; give it its group on the host */
    gid?: never;
    /** a file secret is the host file itself, bind-mounted; give it its mode on the host */
    mode?: never;
  })[];
  /** no-new-privileges[:true|false] (tupper's default is true), seccomp:unconfined (no syscall filter), systempaths=unconfined (no masked or read-only /proc paths). */
  security_opt?: string[];
  /** The size of the container's /dev/shm (default 64m, as Docker's). */
  shm_size?: string | number;
  /** Keeps a detached container's stdin open (a pipe no one writes to, so reads wait) instead of /dev/null. run and exec in the foreground pass the terminal's or the pipe's stdin as they are. */
  stdin_open?: boolean;
  /** How long stop waits before SIGKILL. */
  stop_grace_period?: string;
  /** Signal sent first by stop. */
  stop_signal?: string;
  /** it comes with the full cgroup surface */
  storage_opt?: never;
  /** Kernel parameters of the container's own namespaces (net.*, kernel.msg*, kernel.sem, kernel.shm*, fs.mqueue.*), written by tupper-init before /proc/sys becomes read-only. */
  sysctls?: {
    [key: string]: string | number;
  } | string[];
  /** tmpfs mounts, PATH[:OPTIONS]; noexec,nosuid,nodev unless the options say exec, suid or dev. */
  tmpfs?: string | string[];
  /** Gives a detached container (up, start, run -d) a pseudo-terminal of its own, from its own /dev/pts; its output goes to the log that logs reads, with lines that end in \n, at 80x24. run and exec in the foreground decide by their own flags (-t, -T; by default a pty when stdin and stdout are terminals). */
  tty?: boolean;
  /** Resource limits (setrlimit) of the workload: a number, or soft and hard; -1 is unlimited. */
  ulimits?: {
    [key: string]: number | {
      soft: number;
      hard: number;
    };
  };
  /** tupper does not implement it */
  use_api_socket?: never;
  /** uid[:gid] as numbers, or a user (and group) name, looked up by tupper-init in the container's /etc/passwd and /etc/group; a name also brings its supplementary groups and its home as HOME. */
  user?: string | number;
  /** host: the container shares the host's user namespace (the default, as in Docker). tupper's own mapping is x-tupper.userns. */
  userns_mode?: "host";
  /** uts (host) is not implemented yet; each container has its own host name */
  uts?: never;
  /** Bind mounts and named volumes, short (./data:/data:ro, data:/var/lib/db) or long form. */
  volumes?: (string | {
    /** bind mounts a host path; volume mounts a named volume; other types come later. */
    type: "bind" | "volume" | "tmpfs" | "npipe" | "cluster" | "image";
    /** Host path (relative to the spec's directory when it starts with .), or the name of a volume from the top-level volumes. */
    source?: string;
    /** Absolute path inside the container. */
    target: string;
    read_only?: boolean;
    bind?: {
      /** Create a missing host directory instead of failing. */
      create_host_path?: boolean;
      /** tupper does not implement it yet (mounts are private) */
      propagation?: never;
      /** Accepted and not applied: tupper gives containers no SELinux label, so the host's files keep theirs (the script says so). */
      selinux?: "z" | "Z";
      /** tupper does not implement it yet (binds are recursive) */
      recursive?: never;
    };
    volume?: {
      /** Do not fill an empty volume from the image's directory. */
      nocopy?: boolean;
      /** tupper does not implement it */
      subpath?: never;
    };
    /** it comes with tupper's security settings */
    tmpfs?: never;
    /** tupper does not mount images as volumes; copy what you need into a named volume */
    image?: never;
    /** tupper does not implement it (it only matters on Docker Desktop) */
    consistency?: never;
    [extension: `x-${string}`]: unknown;
  })[];
  /** volumes_from is not implemented yet; name the same volumes in both services */
  volumes_from?: never;
  /** Absolute directory to start in; created if missing. */
  working_dir?: string;
  /** tupper's own settings for this service. */
  "x-tupper"?: {
    /** A user namespace of its own: container root is host uid host_uid, with no privileges over the host. The image's files are shown to it through an idmapped mount. */
    userns?: {
      /** The host uid that container uid 0 maps to; container uids 0..size-1 map to host_uid.. (use a range of /etc/subuid). */
      host_uid: number;
      /** The host gid that container gid 0 maps to (default: host_uid). */
      host_gid?: number;
      /** How many ids the range maps (default 65536: uids and gids 0 to 65535). */
      size?: number;
    };
    /** The NUMA memory nodes the container may allocate from (cpuset.mems), as Docker's --cpuset-mems. */
    cpuset_mems?: string;
    /** tupper's own settings of the service's network. */
    network?: {
      /** The most the container may send, on each network it joins: a tc token bucket (tbf) on its end of each veth, set from the host before the workload runs (net_cls only tags traffic; tc is what limits it). A container without NET_ADMIN, Docker's default, cannot lift it. (On the host's end of the veth, where the issue wanted it, it would take the act_police or mirred tc actions, which the kernels tupper is tested on lack.) */
      egress_rate?: string;
    };
    /** Huge-page limits per page size, as the kernel names them (2MB, 1GB): v1 hugetlb.SIZE.limit_in_bytes, v2 hugetlb.SIZE.max. Past its limit a process gets SIGBUS when it touches another huge page. */
    hugetlb?: {
      /** keys matching ^[0-9]+(KB|MB|GB)$ */
      [key: string]: string | number;
    };
  };
  [extension: `x-${string}`]: unknown;
};

/** network */
export type Network = {
  /** Only bridge: a Linux bridge on this host. */
  driver?: "bridge";
  driver_opts?: {
    /** The bridge's interface name on the host (default: tpb-HASH). At most 15 bytes of letters, digits, ., - and _; unique in the project, and checked free on the host when the network is made. */
    "com.docker.network.bridge.name"?: string;
  };
  ipam?: {
    /** Only the default address manager. */
    driver?: "default";
    config?: ({
      /** Subnet in CIDR form: IPv4 (default: a free /16 from 172.17-31, then /20s from 192.168, chosen at run time), or IPv6 on an enable_ipv6 network (default: a ULA /64, fdXX:XXXX:XXXX::/64 derived from the project and network names). */
      subnet?: string;
      /** The bridge's address in that family and the containers' default route (default: the subnet's first address). */
      gateway?: string;
      /** tupper does not implement it (addresses come from the whole subnet) */
      ip_range?: never;
      /** tupper does not implement it */
      aux_addresses?: never;
      [extension: `x-${string}`]: unknown;
    })[];
    /** tupper does not implement it */
    options?: never;
    [extension: `x-${string}`]: unknown;
  };
  /** No traffic to or from outside the network (no NAT, no default route). */
  internal?: boolean;
  /** tupper does not implement it (no swarm) */
  attachable?: never;
  /** Dual stack, as Docker's bridge driver: the bridge takes the IPv6 subnet's gateway, each container an IPv6 address and a default route through it, and ip6tables chains mirror the IPv4 ones (masquerade, isolation, published ports). Without it a container's interfaces on the network have IPv6 disabled, as in Docker. */
  enable_ipv6?: boolean;
  enable_ipv4?: true;
  /** tupper does not implement it (networks belong to their project) */
  external?: never;
  /** Accepted and not applied: a tupper network belongs to its project (PROJECT_NETWORK in the script's records) and no other project can join it (external networks are not supported), so the name Docker would give it changes nothing a container sees. */
  name?: string;
  /** a tupper network is a bridge, which keeps no labels */
  labels?: never;
  [extension: `x-${string}`]: unknown;
} | null;

/** volume */
export type Volume = {
  /** Only local: a directory under TUPPER_ROOT/volumes. */
  driver?: "local";
  /** tupper does not implement it (a volume is a plain directory) */
  driver_opts?: never;
  /** The volume is made outside this project and must exist (TUPPER_ROOT/volumes/NAME/_data); tupper neither creates nor removes it. */
  external?: boolean;
  /** The volume's name on the host (default: PROJECT_KEY, or KEY when external). */
  name?: string;
  /** Accepted and kept in the spec only (tupper has no volume listing that shows them). */
  labels?: {
    [key: string]: unknown;
  } | unknown[];
  [extension: `x-${string}`]: unknown;
} | null;

/** tupper spec: a strict subset of the Compose file format */
export interface Compose {
  /** Project name (default: the spec directory's name). */
  name?: string;
  /** Obsolete in Compose: accepted, ignored, and warned about. */
  version?: string | number;
  services: {
    [key: string]: Service;
  };
  "x-tupper"?: {
    /** How each container gets its own copy of the image: btrfs snapshot, overlayfs upper layer, or a full copy; auto picks in that order. */
    storage?: "auto" | "btrfs" | "overlay" | "copy";
    /** Cgroup under which containers are created (default: the cgroup of the process that runs the script). */
    cgroup_parent?: string;
    /** Variables that stay variables: where environment, command, entrypoint or healthcheck.test use them (${NAME}, ${NAME:-default}, ${NAME:?message}), the script reads them from its own environment when it runs, instead of the compiler writing their values in. For secrets and per-host settings that must not be in a reviewed script. */
    runtime_env?: string[];
  };
  /** The project's networks; each is a Linux bridge with NAT. 'default' is the one services join when they name none. */
  networks?: {
    [key: string]: Network;
  };
  /** Named volumes: directories under TUPPER_ROOT/volumes that outlive containers. `down` keeps them, `down -v` removes them. A new or empty volume is filled from the image's directory at its target the first time it is mounted, as in Docker. */
  volumes?: {
    [key: string]: Volume;
  };
  /** configs are not implemented yet; bind-mount the file read-only (volumes: ["./app.conf:/etc/app.conf:ro"]) */
  configs?: never;
  /** Secrets services may be given: each a file on this host, bind-mounted read-only into the services that name it (at /run/secrets/NAME), as Compose does with file secrets. */
  secrets?: {
    [key: string]: {
      /** The secret's file, relative to the spec's directory. It must exist when the container starts. */
      file: string;
      /** tupper would have to write the variable's value into a file or the script; use file: */
      environment?: never;
      /** tupper has no secret store (that is swarm's); use file: */
      external?: never;
      /** tupper has no secret store (that is swarm's); use file: */
      name?: never;
      /** tupper does not implement it (no swarm) */
      driver?: never;
      /** tupper does not implement it (no swarm) */
      driver_opts?: never;
      /** tupper does not implement it (no swarm) */
      template_driver?: never;
      /** tupper does not implement it (no swarm) */
      labels?: never;
      [extension: `x-${string}`]: unknown;
    };
  };
  /** tupper compiles one file; merge the included file into this one */
  include?: never;
  /** tupper does not implement it */
  models?: never;
  [extension: `x-${string}`]: unknown;
}
