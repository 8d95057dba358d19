/*
 * cpus.h -- how many threads a job should use by default.
 */
#ifndef DEPECHE_CPUS_H
#define DEPECHE_CPUS_H

#ifdef __cplusplus
extern "C" {
#endif

/** The processors this process may run on (its CPU affinity, else the
 * processors online), between 1 and @p max. */
unsigned dp_cpus(unsigned max);

#ifdef __cplusplus
}
#endif
#endif
