/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Common code of the benchmark workloads (bench/wl_*.c).
 *
 * Every workload runs its loop for a fixed time (-d SECONDS, default 1) or a
 * fixed number of iterations (-n COUNT), then prints one parsable line on
 * stdout:
 *
 *   wl=NAME ops=N seconds=S rate=OPS_PER_S cpu_s=C runq_s=R
 *
 * `ops` counts the System V IPC system calls (or getppid calls) completed by
 * all the workload's processes inside the timed loop; `cpu_s` is the CPU
 * time of the workload and its reaped children, so that the harness can
 * subtract it from a tracer's rusage; `runq_s` is the time the main process
 * was runnable but waiting for a CPU (/proc/self/schedstat), which shows when
 * a tracer slows a workload by taking its CPU rather than by adding work to
 * each call.  The loop stops on a SIGALRM flag, not
 * on a clock read per iteration, so that the untraced loop is as fast as the
 * calls themselves.  Workloads create their objects with IPC_PRIVATE and
 * remove them before exiting; the harness runs them in a private IPC
 * namespace.
 */
#ifndef BENCH_WL_H
#define BENCH_WL_H

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t wl_stop;
static long wl_count;          /* -n: iterations; 0 = run for wl_seconds */
static double wl_seconds = 1.0;
static struct timespec wl_t0;

static void wl_on_alarm(int sig)
{
	(void)sig;
	wl_stop = 1;
}

static void wl_usage(const char *name)
{
	fprintf(stderr, "usage: %s [-d SECONDS | -n COUNT]\n", name);
	exit(64);
}

static void wl_die(const char *what)
{
	fprintf(stderr, "%s: %s\n", what, strerror(errno));
	exit(1);
}

static void wl_args(int argc, char **argv)
{
	int c;
	char *end;

	while ((c = getopt(argc, argv, "d:n:")) != -1) {
		switch (c) {
		case 'd':
			wl_seconds = strtod(optarg, &end);
			if (*end || wl_seconds <= 0 || wl_seconds > 3600)
				wl_usage(argv[0]);
			break;
		case 'n':
			wl_count = strtol(optarg, &end, 10);
			if (*end || wl_count <= 0)
				wl_usage(argv[0]);
			break;
		default:
			wl_usage(argv[0]);
		}
	}
	if (optind != argc)
		wl_usage(argv[0]);
}

/* Start the clock and, in timed mode, the alarm.  No SA_RESTART: a blocked
 * call returns EINTR so that the loop sees the flag. */
static void wl_start(void)
{
	struct sigaction sa = { .sa_handler = wl_on_alarm };

	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGALRM, &sa, NULL))
		wl_die("sigaction");
	clock_gettime(CLOCK_MONOTONIC, &wl_t0);
	if (!wl_count) {
		struct itimerval it = { 0 };

		it.it_value.tv_sec = (time_t)wl_seconds;
		it.it_value.tv_usec = (suseconds_t)((wl_seconds - (double)it.it_value.tv_sec) * 1e6);
		if (setitimer(ITIMER_REAL, &it, NULL))
			wl_die("setitimer");
	}
}

/* True while the loop should go on after `done` iterations. */
static inline int wl_more(long done)
{
	return wl_count ? done < wl_count : !wl_stop;
}

static double wl_elapsed(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - wl_t0.tv_sec) + (double)(t.tv_nsec - wl_t0.tv_nsec) / 1e9;
}

/* Seconds this process waited on a run queue (0 if schedstats are off). */
static double wl_runq_seconds(void)
{
	unsigned long long run_ns, wait_ns = 0;
	FILE *f = fopen("/proc/self/schedstat", "r");

	if (f) {
		if (fscanf(f, "%llu %llu", &run_ns, &wait_ns) != 2)
			wait_ns = 0;
		fclose(f);
	}
	return (double)wait_ns / 1e9;
}

static void wl_report(const char *name, long ops, double secs)
{
	struct rusage self, kids;
	double cpu;

	getrusage(RUSAGE_SELF, &self);
	getrusage(RUSAGE_CHILDREN, &kids);
	cpu = (double)(self.ru_utime.tv_sec + self.ru_stime.tv_sec +
		       kids.ru_utime.tv_sec + kids.ru_stime.tv_sec) +
	      (double)(self.ru_utime.tv_usec + self.ru_stime.tv_usec +
		       kids.ru_utime.tv_usec + kids.ru_stime.tv_usec) / 1e6;
	printf("wl=%s ops=%ld seconds=%.6f rate=%.1f cpu_s=%.6f runq_s=%.6f\n",
	       name, ops, secs, secs > 0 ? (double)ops / secs : 0.0, cpu, wl_runq_seconds());
	fflush(stdout);
}

#endif
