/*
 * The benches' reading of a process's resident memory (bench_memory,
 * bench_streammem).
 */
#ifndef BROADSIDE_BENCH_RSS_H
#define BROADSIDE_BENCH_RSS_H

/* VmRSS of process pid (decimal text) in KiB, or -1 if unreadable. */
long rss_kb(const char *pid);

#endif
