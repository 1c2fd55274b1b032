// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Creates one object of each kind (IPC_PRIVATE, and a key with IPC_CREAT),
 * removes them, and prints where libc's shmget/semget/msgget wrappers live
 * (from their ELF symbols) and an address on its own stack, so a test can
 * check the user context ipcscope captured at creation.
 *   {"wrapper": "shmget", "start": N, "size": N}
 *   {"stack_local": N}
 *   {"call": "shmget", "id": N, "key": N}
 */
#include <dlfcn.h>
#include <elf.h>
#include <link.h>
#include <stdio.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>

static void wrapper(const char *name)
{
	void *addr = dlsym(RTLD_DEFAULT, name);
	const ElfW(Sym) *sym = NULL;
	Dl_info info;

	if (!addr || !dladdr1(addr, &info, (void **)&sym, RTLD_DL_SYMENT) || !sym) {
		fprintf(stderr, "creator: cannot find %s\n", name);
		return;
	}
	printf("{\"wrapper\": \"%s\", \"start\": %lu, \"size\": %lu}\n", name,
	       (unsigned long)addr, (unsigned long)sym->st_size);
}

int main(void)
{
	volatile int local = 0;
	int shm, sem, msg, keyed;

	wrapper("shmget");
	wrapper("semget");
	wrapper("msgget");
	printf("{\"stack_local\": %lu}\n", (unsigned long)&local);
	shm = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
	printf("{\"call\": \"shmget\", \"id\": %d, \"key\": 0}\n", shm);
	sem = semget(IPC_PRIVATE, 1, IPC_CREAT | 0600);
	printf("{\"call\": \"semget\", \"id\": %d, \"key\": 0}\n", sem);
	msg = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
	printf("{\"call\": \"msgget\", \"id\": %d, \"key\": 0}\n", msg);
	keyed = semget(0xc0de, 1, IPC_CREAT | 0600);
	printf("{\"call\": \"semget\", \"id\": %d, \"key\": %d}\n", keyed, 0xc0de);
	/* an existing key without IPC_CREAT creates nothing */
	printf("{\"lookup\": %d}\n", semget(0xc0de, 1, 0600));
	shmctl(shm, IPC_RMID, NULL);
	semctl(sem, 0, IPC_RMID);
	semctl(keyed, 0, IPC_RMID);
	msgctl(msg, IPC_RMID, NULL);
	return shm < 0 || sem < 0 || msg < 0 || keyed < 0;
}
