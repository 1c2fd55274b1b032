// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* /metrics over HTTP (libmicrohttpd) and atomic textfiles; see metrics_serve.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ipcscope.h"
#include "view/metrics_serve.h"

static int parse_port(const char *s, uint16_t *port)
{
	char *end;
	long v;

	if (!*s)
		return -EINVAL;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < 0 || v > 65535)
		return -EINVAL;
	*port = (uint16_t)v;
	return 0;
}

int metrics_parse_listen(const char *arg, struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon, *port;
	uint16_t p;

	memset(ss, 0, sizeof(*ss));
	if (!arg || !*arg)
		return -EINVAL;
	if (arg[0] == '[') {                          /* [v6]:port */
		const char *rb = strchr(arg, ']');

		if (!rb || rb[1] != ':' || (size_t)(rb - arg - 1) >= sizeof(host))
			return -EINVAL;
		memcpy(host, arg + 1, (size_t)(rb - arg - 1));
		host[rb - arg - 1] = '\0';
		if (parse_port(rb + 2, &p) || inet_pton(AF_INET6, host, &in6->sin6_addr) != 1)
			return -EINVAL;
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(p);
		*len = sizeof(*in6);
		return 0;
	}
	colon = strrchr(arg, ':');
	in4->sin_family = AF_INET;
	*len = sizeof(*in4);
	if (!colon) {                                 /* PORT: loopback */
		in4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		return parse_port(arg, &p) ? -EINVAL : (in4->sin_port = htons(p), 0);
	}
	port = colon + 1;
	if (parse_port(port, &p))
		return -EINVAL;
	in4->sin_port = htons(p);
	if (colon == arg) {                           /* :PORT: every address */
		in4->sin_addr.s_addr = htonl(INADDR_ANY);
		return 0;
	}
	if ((size_t)(colon - arg) >= sizeof(host))
		return -EINVAL;
	memcpy(host, arg, (size_t)(colon - arg));
	host[colon - arg] = '\0';
	if (!strcmp(host, "localhost"))
		strcpy(host, "127.0.0.1");
	if (inet_pton(AF_INET, host, &in4->sin_addr) != 1)
		return -EINVAL;
	return 0;
}

void metrics_format_addr(const struct sockaddr *sa, char *buf, size_t len)
{
	char host[INET6_ADDRSTRLEN];

	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;

		inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
		snprintf(buf, len, "[%s]:%u", host, ntohs(in6->sin6_port));
	} else {
		const struct sockaddr_in *in4 = (const struct sockaddr_in *)sa;

		inet_ntop(AF_INET, &in4->sin_addr, host, sizeof(host));
		snprintf(buf, len, "%s:%u", host, ntohs(in4->sin_port));
	}
}

struct metrics_http {
	struct MHD_Daemon *d;
	int fd;
	metrics_render_fn render;
	void *ctx;
	unsigned long requests, failures;
};

static enum MHD_Result reply(struct MHD_Connection *c, unsigned int code,
			     const char *type, char *body, size_t len, bool owned)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	if (owned)
		r = MHD_create_response_from_buffer_with_free_callback(len, body, free);
	else
		r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_PERSISTENT);
	if (!r) {
		if (owned)
			free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	ret = MHD_queue_response(c, code, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
			      const char *method, const char *version,
			      const char *upload, size_t *upload_size, void **con_cls)
{
	static char index_page[] =
		"<html><head><title>ipcscope</title></head><body>"
		"<h1>ipcscope</h1><p><a href=\"/metrics\">Metrics</a></p></body></html>\n";
	static char not_found[] = "not found: the metrics are at /metrics\n";
	static char bad_method[] = "only GET and HEAD are served\n";
	static char failed[] = "ipcscope: reading the IPC tables failed; see the agent's log\n";
	struct metrics_http *h = cls;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;
	int err;

	if (strcmp(method, "GET") && strcmp(method, "HEAD"))
		return reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain", bad_method,
			     sizeof(bad_method) - 1, false);
	if (!strcmp(url, "/"))
		return reply(c, MHD_HTTP_OK, "text/html", index_page, sizeof(index_page) - 1, false);
	if (strcmp(url, "/metrics"))
		return reply(c, MHD_HTTP_NOT_FOUND, "text/plain", not_found, sizeof(not_found) - 1, false);

	__atomic_add_fetch(&h->requests, 1, __ATOMIC_RELAXED);
	f = open_memstream(&buf, &len);
	if (!f)
		return MHD_NO;
	err = h->render(h->ctx, f);
	if (fclose(f) && !err)
		err = -ENOMEM;
	if (err) {
		free(buf);
		__atomic_add_fetch(&h->failures, 1, __ATOMIC_RELAXED);
		return reply(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "text/plain", failed,
			     sizeof(failed) - 1, false);
	}
	return reply(c, MHD_HTTP_OK, METRICS_CONTENT_TYPE, buf, len, true);
}

unsigned long metrics_http_requests(const struct metrics_http *h)
{
	return __atomic_load_n(&h->requests, __ATOMIC_RELAXED);
}

struct metrics_http *metrics_http_start(const char *listen_arg, metrics_render_fn render,
					void *ctx, char *bound, size_t boundlen, int *status)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	struct metrics_http *h;
	sigset_t block, old;
	int one = 1, e;

	if (metrics_parse_listen(listen_arg, &ss, &sl)) {
		*status = errmsg(EX_USAGE,
				 "invalid --listen '%s': give ADDR:PORT, e.g. 127.0.0.1:9857 or [::1]:9857",
				 listen_arg);
		return NULL;
	}
	h = calloc(1, sizeof(*h));
	if (!h) {
		*status = errmsg(EX_SOFTWARE, "out of memory: free some memory and retry");
		return NULL;
	}
	h->render = render;
	h->ctx = ctx;
	/* Bind ourselves so a busy port gets a clear message, not MHD's. */
	h->fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (h->fd < 0 ||
	    setsockopt(h->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(h->fd, (struct sockaddr *)&ss, sl) || listen(h->fd, 32)) {
		e = errno;
		*status = errmsg(e == EADDRINUSE ? EX_UNAVAILABLE : exit_for_errno(e),
				 "cannot listen on %s: %s: choose a free address with --listen",
				 listen_arg, strerror(e));
		goto fail;
	}
	sl = sizeof(ss);
	getsockname(h->fd, (struct sockaddr *)&ss, &sl);
	metrics_format_addr((struct sockaddr *)&ss, bound, boundlen);

	/*
	 * The server thread inherits this mask: SIGINT/SIGTERM then always reach
	 * the main thread, whose loop (pause, poll) they must interrupt.
	 */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	h->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG |
				(ss.ss_family == AF_INET6 ? MHD_USE_IPv6 : 0),
				0, NULL, NULL, handle, h,
				MHD_OPTION_LISTEN_SOCKET, h->fd,
				MHD_OPTION_CONNECTION_LIMIT, 32,
				MHD_OPTION_CONNECTION_TIMEOUT, 10,
				MHD_OPTION_END);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!h->d) {
		*status = errmsg(EX_UNAVAILABLE,
				 "cannot start the HTTP server on %s: run with -v and report the log",
				 bound);
		goto fail;
	}
	return h;
fail:
	if (h->fd >= 0)
		close(h->fd);
	free(h);
	return NULL;
}

void metrics_http_stop(struct metrics_http *h)
{
	if (!h)
		return;
	MHD_stop_daemon(h->d);
	close(h->fd);
	free(h);
}

int metrics_textfile_write(const char *path, metrics_render_fn render, void *ctx)
{
	char tmp[PATH_MAX];
	FILE *f;
	int fd, err;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid()) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	f = fdopen(fd, "w");
	if (!f) {
		err = -errno;
		close(fd);
		unlink(tmp);
		return err;
	}
	err = render(ctx, f);
	if (fflush(f) && !err)
		err = -errno;
	if (!err && fsync(fd))
		err = -errno;
	if (fclose(f) && !err)
		err = -errno;
	if (!err && rename(tmp, path))
		err = -errno;
	if (err)
		unlink(tmp);
	return err;
}
