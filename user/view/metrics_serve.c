// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* /metrics over HTTP (libevent's evhttp) and atomic textfiles; see metrics_serve.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <fcntl.h>
#include <limits.h>
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
	struct event_base *base;
	struct evhttp *http;
	struct event *wake;           /* stop_pipe[0] readable: leave the loop */
	int stop_pipe[2];
	pthread_t thread;
	metrics_render_fn render;
	void *ctx;
	unsigned long requests, failures;
};

static void reply(struct evhttp_request *req, int code, const char *reason,
		  const char *type, const char *body, size_t len)
{
	struct evbuffer *out = evbuffer_new();

	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", type);
	if (!out || evbuffer_add(out, body, len)) {
		evhttp_send_error(req, HTTP_INTERNAL, NULL);
	} else {
		evhttp_send_reply(req, code, reason, out);
	}
	if (out)
		evbuffer_free(out);
}

static void free_body(const void *data, size_t len, void *arg)
{
	free(arg);
}

static void serve_metrics(struct evhttp_request *req, struct metrics_http *h);

/* One request, on the server thread: route it. */
static void handle(struct evhttp_request *req, void *cls)
{
	static const char index_page[] =
		"<html><head><title>ipcscope</title></head><body>"
		"<h1>ipcscope</h1><p><a href=\"/metrics\">Metrics</a></p></body></html>\n";
	static const char not_found[] = "not found: the metrics are at /metrics\n";
	static const char bad_method[] = "only GET and HEAD are served\n";
	struct metrics_http *h = cls;
	enum evhttp_cmd_type method = evhttp_request_get_command(req);
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *path = uri ? evhttp_uri_get_path(uri) : NULL;

	if (method != EVHTTP_REQ_GET && method != EVHTTP_REQ_HEAD)
		reply(req, 405, "Method Not Allowed", "text/plain", bad_method,
		      sizeof(bad_method) - 1);
	else if (path && !strcmp(path, "/"))
		reply(req, HTTP_OK, "OK", "text/html", index_page, sizeof(index_page) - 1);
	else if (!path || strcmp(path, "/metrics"))
		reply(req, HTTP_NOTFOUND, "Not Found", "text/plain", not_found,
		      sizeof(not_found) - 1);
	else
		serve_metrics(req, h);
}

static void serve_metrics(struct evhttp_request *req, struct metrics_http *h)
{
	static const char failed[] = "ipcscope: reading the IPC tables failed; see the agent's log\n";
	struct evbuffer *out;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;
	int err;

	__atomic_add_fetch(&h->requests, 1, __ATOMIC_RELAXED);
	f = open_memstream(&buf, &len);
	err = f ? h->render(h->ctx, f) : -ENOMEM;
	if (f && fclose(f) && !err)
		err = -ENOMEM;
	if (err) {
		free(buf);
		__atomic_add_fetch(&h->failures, 1, __ATOMIC_RELAXED);
		reply(req, HTTP_INTERNAL, "Internal Server Error", "text/plain", failed,
		      sizeof(failed) - 1);
		return;
	}
	/* The exposition is handed over, not copied: free_body frees it. */
	out = evbuffer_new();
	if (!out || evbuffer_add_reference(out, buf, len, free_body, buf)) {
		free(buf);
		if (out)
			evbuffer_free(out);
		evhttp_send_error(req, HTTP_INTERNAL, NULL);
		return;
	}
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
			  METRICS_CONTENT_TYPE);
	evhttp_send_reply(req, HTTP_OK, "OK", out);
	evbuffer_free(out);
}

/* Runs in the loop's own thread: the only thread that touches the base. */
static void on_wake(evutil_socket_t fd, short what, void *arg)
{
	event_base_loopbreak(arg);
}

static void *serve_thread(void *arg)
{
	struct metrics_http *h = arg;

	event_base_dispatch(h->base);
	return NULL;
}

/* libevent's own warnings (a refused accept, a broken peer) go to -v. */
static void log_cb(int severity, const char *msg)
{
	debugmsg("http: %s", msg);
}

unsigned long metrics_http_requests(const struct metrics_http *h)
{
	return __atomic_load_n(&h->requests, __ATOMIC_RELAXED);
}

static void http_free(struct metrics_http *h)
{
	if (h->http)
		evhttp_free(h->http);            /* closes the listening socket */
	if (h->wake)
		event_free(h->wake);
	if (h->base)
		event_base_free(h->base);
	if (h->stop_pipe[0] >= 0)
		close(h->stop_pipe[0]);
	if (h->stop_pipe[1] >= 0)
		close(h->stop_pipe[1]);
	free(h);
}

struct metrics_http *metrics_http_start(const char *listen_arg, metrics_render_fn render,
					void *ctx, char *bound, size_t boundlen, int *status)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	struct metrics_http *h;
	sigset_t block, old;
	int one = 1, e, fd;

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
	h->stop_pipe[0] = h->stop_pipe[1] = -1;
	h->render = render;
	h->ctx = ctx;
	/* Bind ourselves so a busy port gets a clear message, not libevent's. */
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)&ss, sl) || listen(fd, 32)) {
		e = errno;
		if (fd >= 0)
			close(fd);
		*status = errmsg(e == EADDRINUSE ? EX_UNAVAILABLE : exit_for_errno(e),
				 "cannot listen on %s: %s: choose a free address with --listen",
				 listen_arg, strerror(e));
		goto fail;
	}
	sl = sizeof(ss);
	getsockname(fd, (struct sockaddr *)&ss, &sl);
	metrics_format_addr((struct sockaddr *)&ss, bound, boundlen);

	event_set_log_callback(log_cb);
	if (pipe2(h->stop_pipe, O_CLOEXEC | O_NONBLOCK) ||
	    !(h->base = event_base_new()) ||
	    !(h->wake = event_new(h->base, h->stop_pipe[0], EV_READ, on_wake, h->base)) ||
	    event_add(h->wake, NULL) ||
	    !(h->http = evhttp_new(h->base))) {
		close(fd);
		goto no_server;
	}
	/* Every method reaches handle(), which answers 405 to all but GET and HEAD. */
	evhttp_set_allowed_methods(h->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD | EVHTTP_REQ_POST |
				   EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS |
				   EVHTTP_REQ_TRACE | EVHTTP_REQ_CONNECT | EVHTTP_REQ_PATCH);
	/*
	 * libevent 2.1 has no cap on connections (libmicrohttpd's was 32):
	 * bound what each may cost instead.  A silent client is dropped after
	 * 10 s; a scrape has no body and a few hundred bytes of headers.
	 */
	evhttp_set_timeout(h->http, 10);
	evhttp_set_max_headers_size(h->http, 16384);
	evhttp_set_max_body_size(h->http, 4096);
	evhttp_set_gencb(h->http, handle, h);
	if (!evhttp_accept_socket_with_handle(h->http, fd)) {
		close(fd);
		goto no_server;
	}

	/*
	 * The server thread inherits this mask: SIGINT/SIGTERM then always reach
	 * the main thread, whose loop (pause, poll) they must interrupt.
	 */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	e = pthread_create(&h->thread, NULL, serve_thread, h);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (e)
		goto no_server;
	return h;
no_server:
	*status = errmsg(EX_UNAVAILABLE,
			 "cannot start the HTTP server on %s: run with -v and report the log", bound);
fail:
	http_free(h);
	return NULL;
}

void metrics_http_stop(struct metrics_http *h)
{
	ssize_t n;

	if (!h)
		return;
	do
		n = write(h->stop_pipe[1], "x", 1);
	while (n < 0 && errno == EINTR);
	pthread_join(h->thread, NULL);
	http_free(h);
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
