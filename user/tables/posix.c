// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tables/posix.h"

static struct posix_obj *push(struct posix_obj **v, size_t *n)
{
	struct posix_obj *nv = realloc(*v, (*n + 1) * sizeof(**v));

	if (!nv)
		return NULL;
	*v = nv;
	memset(&nv[*n], 0, sizeof(nv[0]));
	return &nv[(*n)++];
}

static void add_holder(struct posix_obj *o, int32_t pid)
{
	int32_t *h;

	for (size_t i = 0; i < o->nholders; i++)
		if (o->holders[i] == pid)
			return;
	h = realloc(o->holders, (o->nholders + 1) * sizeof(*h));
	if (!h)
		return;
	o->holders = h;
	o->holders[o->nholders++] = pid;
}

static struct posix_obj *find_shm(struct posix_table *t, const char *path)
{
	if (strncmp(path, "/dev/shm/", 9))
		return NULL;
	for (size_t i = 0; i < t->nshm; i++)
		if (!strncmp(path + 9, t->shm[i].name, strlen(t->shm[i].name)) &&
		    (path[9 + strlen(t->shm[i].name)] == 0 ||
		     path[9 + strlen(t->shm[i].name)] == ' '))
			return &t->shm[i];
	return NULL;
}

/* Who maps or holds open each /dev/shm file. */
static int scan_holders(struct posix_table *t)
{
	DIR *d = opendir("/proc"), *fd;
	struct dirent *de, *fe;
	char path[512], link[512], line[1024];
	int denied = 0;

	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		char *end;
		long pid = strtol(de->d_name, &end, 10);
		FILE *f;

		if (*end || pid <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%ld/maps", pid);
		if ((f = fopen(path, "re"))) {
			while (fgets(line, sizeof(line), f)) {
				char *p = strstr(line, " /dev/shm/");
				struct posix_obj *o;

				if (!p)
					continue;
				p[strcspn(p, "\n")] = 0;
				if ((o = find_shm(t, p + 1)))
					add_holder(o, (int32_t)pid);
			}
			fclose(f);
		}
		snprintf(path, sizeof(path), "/proc/%ld/fd", pid);
		if (!(fd = opendir(path))) {
			denied |= errno == EACCES;
			continue;
		}
		while ((fe = readdir(fd))) {
			ssize_t n;
			struct posix_obj *o;

			if (fe->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "/proc/%ld/fd/%s", pid, fe->d_name);
			n = readlink(path, link, sizeof(link) - 1);
			if (n <= 0)
				continue;
			link[n] = 0;
			if ((o = find_shm(t, link)))
				add_holder(o, (int32_t)pid);
		}
		closedir(fd);
	}
	closedir(d);
	return denied ? -EACCES : 0;
}

static int read_shm(struct posix_table *t)
{
	DIR *d = opendir("/dev/shm");
	struct dirent *de;

	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d))) {
		struct posix_obj *o;
		struct stat st;

		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) || !S_ISREG(st.st_mode))
			continue;
		if (!(o = push(&t->shm, &t->nshm)))
			break;
		snprintf(o->name, sizeof(o->name), "%s", de->d_name);
		o->size = (uint64_t)st.st_size;
		o->uid = st.st_uid;
		o->gid = st.st_gid;
		o->mode = st.st_mode & 07777;
		o->mtime = st.st_mtime;
	}
	closedir(d);
	return scan_holders(t);
}

static const char *mqueue_mount(void)
{
	FILE *f = fopen("/proc/self/mounts", "re");
	static char dir[256];
	char type[64];

	if (!f)
		return NULL;
	while (fscanf(f, "%*s %255s %63s %*[^\n]", dir, type) == 2)
		if (!strcmp(type, "mqueue")) {
			fclose(f);
			return dir;
		}
	fclose(f);
	return NULL;
}

/* One line per queue: "mode uid gid mtime qsize name". */
static void list_mq(const char *dir, FILE *out)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d))) {
		struct stat st;
		char buf[256];
		unsigned long long qsize = 0;
		int fd;
		ssize_t n;

		if (de->d_name[0] == '.' || fstatat(dirfd(d), de->d_name, &st, 0))
			continue;
		fd = openat(dirfd(d), de->d_name, O_RDONLY | O_CLOEXEC);
		if (fd >= 0) {
			n = read(fd, buf, sizeof(buf) - 1);
			if (n > 0) {
				buf[n] = 0;
				sscanf(buf, "QSIZE:%llu", &qsize);
			}
			close(fd);
		}
		fprintf(out, "%o %u %u %lld %llu %s\n", st.st_mode & 07777, st.st_uid,
			st.st_gid, (long long)st.st_mtime, qsize, de->d_name);
	}
	closedir(d);
}

static int read_mq(struct posix_table *t)
{
	const char *dir = mqueue_mount();
	char line[512];
	int pfd[2], status;
	pid_t pid;
	FILE *in;

	if (pipe2(pfd, O_CLOEXEC))
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		FILE *out = fdopen(pfd[1], "w");
		char tmp[] = "/tmp/ipcscope-mq.XXXXXX";

		close(pfd[0]);
		if (!out)
			_exit(1);
		if (!dir) {
			/* mount mqueue privately: nothing is visible outside this child */
			if (unshare(CLONE_NEWNS) ||
			    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
			    !mkdtemp(tmp))
				_exit(2);
			if (mount("mqueue", tmp, "mqueue", 0, NULL)) {
				rmdir(tmp);
				_exit(3);
			}
			list_mq(tmp, out);
			umount(tmp);
			rmdir(tmp);
		} else {
			list_mq(dir, out);
		}
		fclose(out);
		_exit(0);
	}
	close(pfd[1]);
	in = fdopen(pfd[0], "r");
	while (in && fgets(line, sizeof(line), in)) {
		struct posix_obj *o = push(&t->mq, &t->nmq);
		unsigned int mode, uid, gid;
		long long mtime;
		unsigned long long qsize;
		int off = 0;

		if (!o)
			break;
		if (sscanf(line, "%o %u %u %lld %llu %n", &mode, &uid, &gid, &mtime, &qsize, &off) < 5) {
			t->nmq--;
			continue;
		}
		line[strcspn(line, "\n")] = 0;
		o->mode = mode;
		o->uid = uid;
		o->gid = gid;
		o->mtime = mtime;
		o->size = qsize;
		snprintf(o->name, sizeof(o->name), "/%s", line + off);
	}
	if (in)
		fclose(in);
	else
		close(pfd[0]);
	waitpid(pid, &status, 0);
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		return -EPERM;
	return 0;
}

int posix_read(struct posix_table *t)
{
	int e1, e2;

	memset(t, 0, sizeof(*t));
	e1 = read_shm(t);
	e2 = t->mq_err = read_mq(t);
	return e1 ? e1 : e2;
}

void posix_free(struct posix_table *t)
{
	for (size_t i = 0; i < t->nshm; i++)
		free(t->shm[i].holders);
	free(t->shm);
	free(t->mq);
	memset(t, 0, sizeof(*t));
}
