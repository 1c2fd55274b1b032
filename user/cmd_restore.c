// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * ipcscope restore DIR: recreate the objects `clean --save DIR` removed,
 * from its manifest (user/action/ipcsave.h).  Objects get new ids; keys,
 * modes and owners are kept.  An object whose key is in use again is not
 * recreated (that would merge two users of one key) unless --private.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <unistd.h>

#include <json-c/json.h>

#include "event.h"
#include "ipcscope.h"
#include "opts.h"
#include "tables/ipcns.h"
#include "action/ipcsave.h"

enum { OPT_PRIVATE = 0x2300, OPT_IPCNS };

struct restore_args {
	struct common_opts o;
	const char *dir;
	bool private_keys;
	const char *ipcns;
};

static int64_t num(json_object *o, const char *name, int64_t def)
{
	json_object *v;

	return json_object_object_get_ex(o, name, &v) ? json_object_get_int64(v) : def;
}

static const char *str(json_object *o, const char *name)
{
	json_object *v;

	return json_object_object_get_ex(o, name, &v) && json_object_is_type(v, json_type_string)
		? json_object_get_string(v) : NULL;
}

/* Read a data file named in the manifest (a plain name inside DIR). */
static int read_data(int dirfd, const char *file, char **buf, size_t *len)
{
	size_t cap = 0;
	int fd;

	*buf = NULL;
	*len = 0;
	if (!file || strchr(file, '/'))
		return -EINVAL;
	fd = openat(dirfd, file, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	for (;;) {
		ssize_t n;

		if (*len == cap) {
			char *nb = realloc(*buf, cap = cap ? cap * 2 : 65536);

			if (!nb) {
				close(fd);
				return -ENOMEM;
			}
			*buf = nb;
		}
		n = read(fd, *buf + *len, cap - *len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			n = -errno;
			close(fd);
			return n;
		}
		if (!n)
			break;
		*len += n;
	}
	close(fd);
	return 0;
}

static void set_owner(struct ipc_perm *p, json_object *o)
{
	p->uid = num(o, "uid", p->uid);
	p->gid = num(o, "gid", p->gid);
	p->mode = num(o, "mode", p->mode & 0777) & 0777;
}

static int restore_shm(json_object *o, int dirfd, key_t key, int mode)
{
	size_t size = num(o, "size", 0), len;
	struct shmid_ds ds;
	char *data;
	void *p;
	int id, err;

	err = read_data(dirfd, str(o, "file"), &data, &len);
	if (err)
		return err;
	if (len != size) {
		free(data);
		return -EBADMSG;
	}
	id = shmget(key, size, IPC_CREAT | IPC_EXCL | mode);
	if (id < 0) {
		err = -errno;
		free(data);
		return err;
	}
	p = shmat(id, NULL, 0);
	if (p == (void *)-1) {
		err = -errno;
		shmctl(id, IPC_RMID, NULL);
		free(data);
		return err;
	}
	memcpy(p, data, size);
	shmdt(p);
	free(data);
	if (!shmctl(id, IPC_STAT, &ds)) {
		set_owner(&ds.shm_perm, o);
		shmctl(id, IPC_SET, &ds);
	}
	return id;
}

static int restore_sem(json_object *o, key_t key, int mode)
{
	int nsems = num(o, "nsems", 0), id, err;
	json_object *vals;
	unsigned short *v;
	struct semid_ds ds;

	if (nsems <= 0 || !json_object_object_get_ex(o, "values", &vals) ||
	    (int)json_object_array_length(vals) != nsems)
		return -EBADMSG;
	v = calloc(nsems, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (int i = 0; i < nsems; i++)
		v[i] = json_object_get_int(json_object_array_get_idx(vals, i));
	id = semget(key, nsems, IPC_CREAT | IPC_EXCL | mode);
	if (id < 0 || semctl(id, 0, SETALL, v)) {
		err = -errno;
		if (id >= 0)
			semctl(id, 0, IPC_RMID);
		free(v);
		return err;
	}
	free(v);
	if (!semctl(id, 0, IPC_STAT, &ds)) {
		set_owner(&ds.sem_perm, o);
		semctl(id, 0, IPC_SET, &ds);
	}
	return id;
}

static int restore_msg(json_object *o, int dirfd, key_t key, int mode)
{
	struct msqid_ds ds;
	char *data;
	size_t len, off = 0;
	int id, err;

	err = read_data(dirfd, str(o, "file"), &data, &len);
	if (err)
		return err;
	id = msgget(key, IPC_CREAT | IPC_EXCL | mode);
	if (id < 0) {
		err = -errno;
		free(data);
		return err;
	}
	/* room for everything that was queued, as before */
	if (!msgctl(id, IPC_STAT, &ds)) {
		uint64_t q = num(o, "qbytes", ds.msg_qbytes);

		if (q > ds.msg_qbytes)
			ds.msg_qbytes = q;
		set_owner(&ds.msg_perm, o);
		msgctl(id, IPC_SET, &ds);
	}
	while (!err && off < len) {
		uint64_t hdr[2];
		struct { long mtype; char text[]; } *m;

		if (len - off < sizeof(hdr)) {
			err = -EBADMSG;
			break;
		}
		memcpy(hdr, data + off, sizeof(hdr));
		off += sizeof(hdr);
		if (hdr[1] > len - off) {
			err = -EBADMSG;
			break;
		}
		m = malloc(sizeof(long) + hdr[1]);
		if (!m) {
			err = -ENOMEM;
			break;
		}
		m->mtype = (long)hdr[0];
		memcpy(m->text, data + off, hdr[1]);
		off += hdr[1];
		if (msgsnd(id, m, hdr[1], IPC_NOWAIT))
			err = -errno;
		free(m);
	}
	free(data);
	if (err) {
		msgctl(id, IPC_RMID, NULL);
		return err;
	}
	return id;
}

static const struct argp_option restore_options[] = {
	{ "private", OPT_PRIVATE, NULL, 0, "Recreate objects whose key is in use again "
	  "as IPC_PRIVATE instead of skipping them", 0 },
	{ "ipcns", OPT_IPCNS, "PID|INODE", 0, "Restore into this IPC namespace", 0 },
	{ 0 },
};

static error_t restore_parse(int key, char *arg, struct argp_state *state)
{
	struct restore_args *a = state->input;

	switch (key) {
	case ARGP_KEY_INIT:
		opts_child_inputs(state, &a->o);
		break;
	case OPT_PRIVATE:
		a->private_keys = true;
		break;
	case OPT_IPCNS:
		a->ipcns = arg;
		break;
	case ARGP_KEY_ARG:
		if (a->dir)
			argp_error(state, "unexpected argument '%s'", arg);
		a->dir = arg;
		break;
	case ARGP_KEY_END:
		if (!a->dir)
			argp_error(state, "which directory? (the one given to clean --save)");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static const struct argp_child restore_children[] = { OPTS_CHILD_OUTPUT, { 0 } };

static const struct argp restore_argp = {
	restore_options, restore_parse, "DIR",
	"Recreate the System V IPC objects that `ipcscope clean --save DIR` saved: "
	"shm segments with their bytes, semaphore sets with their values, queues "
	"with their messages (types and bodies, in order).  Keys, modes and owners "
	"are restored; ids are new (the kernel picks them).  An object whose key "
	"is in use again is skipped, or created with IPC_PRIVATE with --private.\v"
	"Exit status: 0; 1 if some objects could not be restored; 64 usage, "
	"65 bad manifest, 66 no such directory, 77 not privileged.",
	restore_children, NULL, NULL,
};

static int cmd_restore(int argc, char **argv)
{
	struct restore_args a = { 0 };
	json_object *root, *objs;
	char path[4096];
	struct jsonw w;
	size_t done = 0, failed = 0;
	int status, err, dirfd;

	opts_init(&a.o);
	status = opts_parse(&restore_argp, argc, argv, &a, &a.o);
	if (status)
		return status;
	if (a.ipcns && (err = ipcns_enter(a.ipcns))) {
		opts_finish(&a.o);
		return errmsg(exit_for_errno(-err), "cannot enter IPC namespace %s: %s",
			      a.ipcns, hint_for_errno(-err));
	}
	dirfd = open(a.dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0) {
		opts_finish(&a.o);
		return errmsg(EX_NOINPUT, "cannot open %s: %s: give the directory written by "
			      "`ipcscope clean --save`", a.dir, strerror(errno));
	}
	snprintf(path, sizeof(path), "%s/%s", a.dir, IPCSAVE_MANIFEST);
	root = json_object_from_file(path);
	if (!root || !json_object_object_get_ex(root, "objects", &objs) ||
	    !json_object_is_type(objs, json_type_array)) {
		close(dirfd);
		json_object_put(root);
		opts_finish(&a.o);
		return errmsg(EX_DATAERR, "%s is not a save manifest: give the directory "
			      "written by `ipcscope clean --save`", path);
	}
	if (a.o.json) {
		jsonw_init(&w, a.o.out, false);
		jsonw_start_object(&w);
		jsonw_name(&w, "restored");
		jsonw_start_array(&w);
	}
	for (size_t i = 0; i < json_object_array_length(objs); i++) {
		json_object *o = json_object_array_get_idx(objs, i);
		const char *kind = str(o, "kind");
		key_t key = (key_t)num(o, "key", IPC_PRIVATE);
		int old = num(o, "id", -1), mode = num(o, "mode", 0600) & 0777, id;
		bool private_key = false;

		if (!kind) {
			id = -EBADMSG;
		} else {
			for (int attempt = 0; attempt < 2; attempt++) {
				if (!strcmp(kind, "shm"))
					id = restore_shm(o, dirfd, key, mode);
				else if (!strcmp(kind, "sem"))
					id = restore_sem(o, key, mode);
				else if (!strcmp(kind, "msg"))
					id = restore_msg(o, dirfd, key, mode);
				else
					id = -EBADMSG;
				if (id != -EEXIST || !a.private_keys || key == IPC_PRIVATE)
					break;
				key = IPC_PRIVATE;
				private_key = true;
			}
		}
		if (id >= 0)
			done++;
		else
			failed++;
		if (a.o.json) {
			jsonw_start_object(&w);
			jsonw_string_field(&w, "kind", kind);
			jsonw_int_field(&w, "old_id", old);
			if (id >= 0)
				jsonw_int_field(&w, "new_id", id);
			else
				jsonw_string_field(&w, "error", id == -EEXIST ? "key in use" :
						   strerror(-id));
			jsonw_uint_field(&w, "key", (uint32_t)key);
			jsonw_end_object(&w);
		} else if (id >= 0) {
			fprintf(a.o.out, "restored %s %d as %d (key 0x%08x%s)\n", kind, old, id,
				(unsigned)key, private_key ? ", now IPC_PRIVATE" : "");
		} else {
			fprintf(a.o.out, "could not restore %s %d: %s\n", kind ? kind : "?", old,
				id == -EEXIST ? "its key is in use again (--private to restore "
				"it without the key)" : strerror(-id));
		}
	}
	if (a.o.json) {
		jsonw_end_array(&w);
		jsonw_uint_field(&w, "failed", failed);
		jsonw_end_object(&w);
		jsonw_eol(&w);
	} else {
		fprintf(a.o.out, "%zu restored, %zu failed\n", done, failed);
	}
	json_object_put(root);
	close(dirfd);
	err = opts_finish(&a.o);
	return failed ? EXIT_FINDINGS : err;
}

IPCSCOPE_COMMAND(restore, cmd_restore, "recreate objects saved by clean --save", 46);
