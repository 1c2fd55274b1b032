/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Delivering metrics: an HTTP endpoint at /metrics (libevent's evhttp, in
 * its own thread; the same library in the dynamic and the static build) and an atomically replaced textfile for node_exporter's textfile
 * collector.  Both call a render function that writes the exposition text.
 */
#ifndef IPCS_VIEW_METRICS_SERVE_H
#define IPCS_VIEW_METRICS_SERVE_H

#include <stddef.h>
#include <stdio.h>
#include <sys/socket.h>

#define METRICS_DEFAULT_LISTEN "127.0.0.1:9857"
#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* Writes the exposition into f; 0 or -errno.  Called from the HTTP thread. */
typedef int (*metrics_render_fn)(void *ctx, FILE *f);

/*
 * Parse ADDR:PORT: "127.0.0.1:9857", "[::1]:9857", "PORT" (loopback), or
 * ":PORT" (every address, an explicit choice).  0 or -EINVAL.
 */
int metrics_parse_listen(const char *arg, struct sockaddr_storage *ss, socklen_t *len);
/* "ADDR:PORT" of a socket address ("[v6]:port" for IPv6). */
void metrics_format_addr(const struct sockaddr *sa, char *buf, size_t len);

struct metrics_http;

/*
 * Bind `listen` and serve GET /metrics from an evhttp thread.  On
 * success `bound` holds the address really bound (port 0 picks one).  On
 * failure prints a one-line error and returns NULL with *status set.
 */
struct metrics_http *metrics_http_start(const char *listen, metrics_render_fn render,
					void *ctx, char *bound, size_t boundlen, int *status);
void metrics_http_stop(struct metrics_http *h);
/* Requests served and failed so far. */
unsigned long metrics_http_requests(const struct metrics_http *h);

/*
 * Render into PATH.tmp.PID next to PATH, then rename over PATH, so the
 * collector never reads a half-written file.  0 or -errno (temp removed).
 */
int metrics_textfile_write(const char *path, metrics_render_fn render, void *ctx);

#endif
