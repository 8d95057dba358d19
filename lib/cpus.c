/* cpus.c -- how many threads a job should use by default. */
#include "depeche/cpus.h"

#include <sched.h>
#include <unistd.h>

unsigned dp_cpus(unsigned max)
{
    cpu_set_t set;
    long n = 0;

    if (sched_getaffinity(0, sizeof set, &set) == 0)
        n = CPU_COUNT(&set);
    if (n < 1)
        n = sysconf(_SC_NPROCESSORS_ONLN);
    if (n < 1)
        n = 1;
    return (unsigned long)n > max ? max : (unsigned)n;
}
