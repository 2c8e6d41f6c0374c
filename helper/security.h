/*
 * tupper-init's confinement of the workload, as Docker confines a default
 * container: capabilities, no_new_privs, a seccomp filter, masked and
 * read-only kernel paths, rlimits and namespaced sysctls. See security.c.
 */
#ifndef TUPPER_SECURITY_H
#define TUPPER_SECURITY_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "util.h"

#define MAX_RLIMITS 16
#define MAX_SYSCTLS 64
#define MAX_GROUPS 64

/* Who the workload runs as: from --uid/--gid, or --user resolved in the container (users.c). */
struct credentials {
  uid_t uid;
  gid_t gid;
  gid_t groups[MAX_GROUPS]; /* supplementary */
  int n_groups;
  char name[256];     /* the passwd entry's, or empty */
  char home[PATH_MAX]; /* the passwd entry's, or empty */
};

struct rlimit_setting {
  int resource;
  unsigned long long soft, hard;
};

struct sysctl_setting {
  const char *key; /* dotted, as in the spec: net.ipv4.ip_forward */
  const char *value;
};

/* seccomp=PATH (seccomp_profile.c): rules compiled from a Docker-format profile. */
#define MAX_SECCOMP_RULES 256
#define MAX_RULE_SYSCALLS 512
#define MAX_RULE_CONDITIONS 6
struct seccomp_condition {
  int index, op;
  unsigned long long value, value_two;
};
struct seccomp_rule {
  uint32_t action;
  uint32_t syscalls[MAX_RULE_SYSCALLS];
  int n_syscalls;
  struct seccomp_condition conditions[MAX_RULE_CONDITIONS];
  int n_conditions;
  int min_major, min_minor; /* 0: any kernel */
};
struct seccomp_profile {
  uint32_t default_action;
  struct seccomp_rule rules[MAX_SECCOMP_RULES];
  int n_rules;
};
/* "allow", "errno:1", ... → SECCOMP_RET_*; dies on anything else. */
uint32_t parse_seccomp_action(const char *word);
/* One --seccomp-rule into R; dies on a malformed one. */
void parse_seccomp_rule(const char *text, struct seccomp_rule *r);
void install_seccomp_profile(const struct seccomp_profile *profile);

struct security {
  uint64_t caps;       /* kept in the bounding set, and effective/permitted for uid 0 */
  bool no_new_privs;   /* prctl(PR_SET_NO_NEW_PRIVS): setuid binaries and file caps grant nothing */
  bool seccomp;        /* the default filter (security.c); false: unconfined */
  struct seccomp_profile *profile; /* seccomp=PATH instead of the default filter; NULL: none */
  bool mask_paths;     /* Docker's masked and read-only /proc and /sys paths */
  bool sysfs_rw;       /* privileged: /sys writable */
  struct rlimit_setting rlimits[MAX_RLIMITS];
  int n_rlimits;
  struct sysctl_setting sysctls[MAX_SYSCTLS];
  int n_sysctls;
};

/* userns.c: container ids 0..SIZE-1 are host ids HOST_UID.. and HOST_GID... */
struct userns_map {
  uid_t host_uid;
  gid_t host_gid;
  unsigned size; /* 0: no user namespace */
};
/* A new user namespace with MAP, made by a throwaway child; returns its descriptor. */
int make_userns(const struct userns_map *map);
/* Mounts over the directory PATH a copy of it idmapped through the namespace USERNS_FD. */
void idmap_directory(const char *path, int userns_fd);
/* Files PID 1 creates from now on belong to UID:GID (host ids), with its capabilities kept. */
void create_files_as(uid_t uid, gid_t gid);
/* PID 1: joins USERNS_FD as its root, in a mount namespace of its own with ROOTFS bound anew,
   and changes to ROOTFS's top directory. */
void enter_userns(int userns_fd, const char *rootfs);
/* exec, health checks: joins USERNS_FD (closed) unless it is OURS_FD's (closed). */
void join_userns(int userns_fd, int ours_fd);

/* Docker's default set, before any --caps. */
void security_defaults(struct security *s);
/* "CHOWN,KILL", "ALL" or "" (none) → the capability mask; dies on an unknown name. */
uint64_t parse_capabilities(const char *list);
/* "nofile" → RLIMIT_NOFILE; dies on an unknown name. */
int parse_rlimit_name(const char *name);

/* In the new root (ROOT_FD), after /proc and /sys are mounted and before pivot_root. */
void write_sysctls(int root_fd, const struct security *s);
void mask_kernel_paths(int root_fd);

/* users.c: NAME[:GROUP] or UID[:GID] from the container's /etc/passwd and /etc/group. */
void resolve_user(const char *spec, struct credentials *who);
gid_t resolve_group(const char *name_or_gid);

/* A device cgroup rule (devices.c). type: BPF_DEVCG_DEV_CHAR or _BLOCK; major, minor: a
   number or DEVICE_ANY; access: a mask of BPF_DEVCG_ACC_MKNOD, _READ and _WRITE. */
#define DEVICE_ANY (-1)
#define MAX_DEVICE_RULES 128
struct device_rule {
  int type, major, minor, access;
};
/* "c 1:3 rwm" (a: char and block) into OUT; returns the number of rules, 1 or 2. */
int parse_device_rule(const char *rule, struct device_rule out[2]);
/* cgroup v2: attaches the device allow-list, Docker's defaults then EXTRA, to CGROUP_DIR. */
void restrict_devices_v2(const char *cgroup_dir, const struct device_rule *extra, int n_extra);

/*
 * The last steps before exec, in this order: rlimits, the seccomp filter (while
 * still root, so it needs no no_new_privs), no_new_privs, the bounding set,
 * groups/gid/uid, then the remaining sets. After setuid to a non-root uid the
 * kernel has already cleared permitted and effective; they stay empty.
 */
void confine(const struct security *s, const struct credentials *who);

#endif
