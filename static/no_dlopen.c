// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Linked only into build/ipcscope-static (mk/static.mk), with
 * -Wl,--wrap=dlopen,--wrap=dlsym,--wrap=dlclose: every dlopen in the
 * statically linked code fails, so nothing loads a shared object at run
 * time.  The one caller is libdw's debuginfod client (elfutils 0.188's
 * libdwfl/debuginfod-client.c dlopen()s libdebuginfod.so.1 whenever a
 * build-id is not found locally, whatever DEBUGINFOD_URLS says); with its
 * dlopen refused, libdw carries on without debuginfod, as it does on a host
 * where libdebuginfod is not installed.  A static glibc could not load that
 * library safely anyway (it would bring a second libc).
 */
#include <stddef.h>

void *__wrap_dlopen(const char *file, int mode);
void *__wrap_dlsym(void *handle, const char *name);
int __wrap_dlclose(void *handle);
char *__wrap_dlerror(void);

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
