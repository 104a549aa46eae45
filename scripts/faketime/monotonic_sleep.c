/* Preloaded before libfaketime by scripts/test-faketime: monotonic sleeps go straight to the
 * kernel. libfaketime 0.9.10 (Debian 12) answers EINVAL to clock_nanosleep(CLOCK_MONOTONIC,
 * TIMER_ABSTIME, ...) when FAKETIME_DONT_FAKE_MONOTONIC is set, which is how Python >= 3.11
 * implements time.sleep(); every other clock still goes through libfaketime. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

int clock_nanosleep(clockid_t clock_id, int flags, const struct timespec *request,
                    struct timespec *remaining) {
    if (clock_id == CLOCK_MONOTONIC) {
        long failed = syscall(SYS_clock_nanosleep, clock_id, flags, request, remaining);
        return failed ? errno : 0;
    }
    int (*next)(clockid_t, int, const struct timespec *, struct timespec *) =
        dlsym(RTLD_NEXT, "clock_nanosleep");
    return next(clock_id, flags, request, remaining);
}
