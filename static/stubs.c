// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Linked only into build/ipcscope-static (mk/static.mk, with -Wl,--wrap for
 * each function below): what a static glibc can only do by loading shared
 * objects at run time fails at once instead, so the binary never loads one.
 *
 * dlopen and friends: the one caller is libdw's debuginfod client (elfutils
 * 0.188's libdwfl/debuginfod-client.c dlopen()s libdebuginfod.so.1 when a
 * module has no local debug information, whatever DEBUGINFOD_URLS says).
 * With its dlopen refused, libdw carries on without debuginfod, as on a host
 * without libdebuginfod; a static glibc could not load that library safely
 * anyway (it would bring a second libc).
 *
 * getaddrinfo, freeaddrinfo, getservbyname, getprotobynumber: NSS lookups.
 * Only libevent's evutil_getaddrinfo calls them, for host and service
 * names; ipcscope hands evhttp a socket it bound itself from a numeric
 * address (view/metrics_serve.c), so they are never reached, and stubbing
 * them keeps glibc's NSS code (and its link-time warnings) out of the
 * binary.  getnameinfo: evhttp asks it for each client's numeric address
 * and port (NI_NUMERICHOST | NI_NUMERICSERV) and exits if it fails; the
 * numeric answer is all this one gives.  User and group names come from
 * util/names_db.c, which reads the files.
 */
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>

void *__wrap_dlopen(const char *file, int mode);
void *__wrap_dlsym(void *handle, const char *name);
int __wrap_dlclose(void *handle);
char *__wrap_dlerror(void);
int __wrap_getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
		       struct addrinfo **res);
void __wrap_freeaddrinfo(struct addrinfo *ai);
int __wrap_getnameinfo(const struct sockaddr *sa, socklen_t salen, char *host,
		       socklen_t hostlen, char *serv, socklen_t servlen, int flags);
struct servent *__wrap_getservbyname(const char *name, const char *proto);
struct protoent *__wrap_getprotobynumber(int proto);

void *__wrap_dlopen(const char *file, int mode)
{
	return NULL;
}

void *__wrap_dlsym(void *handle, const char *name)
{
	return NULL;
}

int __wrap_dlclose(void *handle)
{
	return -1;
}

char *__wrap_dlerror(void)
{
	return (char *)"dynamic loading is disabled in the static ipcscope";
}

int __wrap_getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
		       struct addrinfo **res)
{
	return EAI_FAIL;
}

void __wrap_freeaddrinfo(struct addrinfo *ai)
{
	/* __wrap_getaddrinfo never returns a list */
}

int __wrap_getnameinfo(const struct sockaddr *sa, socklen_t salen, char *host,
		       socklen_t hostlen, char *serv, socklen_t servlen, int flags)
{
	const void *addr;
	unsigned int port;

	if (sa->sa_family == AF_INET && salen >= sizeof(struct sockaddr_in)) {
		addr = &((const struct sockaddr_in *)sa)->sin_addr;
		port = ntohs(((const struct sockaddr_in *)sa)->sin_port);
	} else if (sa->sa_family == AF_INET6 && salen >= sizeof(struct sockaddr_in6)) {
		addr = &((const struct sockaddr_in6 *)sa)->sin6_addr;
		port = ntohs(((const struct sockaddr_in6 *)sa)->sin6_port);
	} else {
		return EAI_FAMILY;
	}
	if (host && hostlen) {
		if (!(flags & NI_NUMERICHOST) && (flags & NI_NAMEREQD))
			return EAI_NONAME;
		if (!inet_ntop(sa->sa_family, addr, host, hostlen))
			return EAI_OVERFLOW;
	}
	if (serv && servlen && snprintf(serv, servlen, "%u", port) >= (int)servlen)
		return EAI_OVERFLOW;
	return 0;
}

struct servent *__wrap_getservbyname(const char *name, const char *proto)
{
	return NULL;
}

struct protoent *__wrap_getprotobynumber(int proto)
{
	return NULL;
}
