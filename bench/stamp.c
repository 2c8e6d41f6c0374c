/* The workload of bench/first-instruction.sh: prints the wall clock (CLOCK_REALTIME, which
 * no namespace here changes) as seconds.microseconds, first thing in main. The harness takes
 * the clock just before it starts a runtime; the difference is the time to the workload's
 * first instruction, whatever the runtime then does to tear the container down. */
#include <stdio.h>
#include <time.h>

int main(void) {
  struct timespec now;
  if (clock_gettime(CLOCK_REALTIME, &now) != 0) {
    perror("stamp: clock_gettime");
    return 1;
  }
  printf("%lld.%06ld\n", (long long)now.tv_sec, now.tv_nsec / 1000);
  return 0;
}
