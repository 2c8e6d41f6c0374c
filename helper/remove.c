/*
 * The supervisor of a foreground `run --rm` removes the container's directories when the
 * workload has ended (--remove-tree), which saves the script a process for rm -rf. What it
 * removes was written by the container: any names, symlinks to anywhere on the host, device
 * nodes, deep trees. So, as rm -rf --one-file-system: a symlink is unlinked, never followed
 * (each directory is opened below its parent's descriptor with O_NOFOLLOW, never by a path);
 * a directory of another filesystem (a mount point) is left; nothing is read but names.
 * Deeper than REMOVE_DEPTH levels (a descriptor and a directory stream each) the rest is
 * left to the script's rm, which walks any depth. Nothing here is fatal: what is left, the
 * script removes or names.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "remove.h"

/* Removes NAME in the directory PARENT (a descriptor, or AT_FDCWD), on device DEV. */
static bool remove_at(int parent, const char *name, dev_t dev, int depth) {
  if (unlinkat(parent, name, 0) == 0 || errno == ENOENT) return true;
  if (errno != EISDIR || depth == REMOVE_DEPTH) return false;
  int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return false;
  struct stat st;
  if (fstat(fd, &st) < 0 || st.st_dev != dev) {
    close(fd);
    return false;
  }
  DIR *dir = fdopendir(fd);
  if (dir == NULL) {
    close(fd);
    return false;
  }
  /* A pass removes what readdir gives; entries removed meanwhile may hide others from it,
     so a directory still not empty gets a few more passes. */
  bool removed = false;
  for (int pass = 0; pass < 4 && !removed; pass++) {
    bool all = true;
    struct dirent *entry;
    rewinddir(dir);
    while ((errno = 0, entry = readdir(dir)) != NULL) {
      if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0) continue;
      if (!remove_at(dirfd(dir), entry->d_name, dev, depth + 1)) all = false;
    }
    if (errno != 0 || !all) break;
    removed = unlinkat(parent, name, AT_REMOVEDIR) == 0;
    if (!removed && errno != ENOTEMPTY) break;
  }
  closedir(dir);
  return removed;
}

bool tree_remove(const char *path) {
  struct stat st;
  if (lstat(path, &st) < 0) return errno == ENOENT;
  return remove_at(AT_FDCWD, path, st.st_dev, 0);
}
