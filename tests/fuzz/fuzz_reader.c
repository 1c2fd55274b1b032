// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * libFuzzer target for the recording reader (`make fuzz`).
 *
 * Input that starts with the recording magic is a whole file: header,
 * chunk walking, CRC and resynchronisation, then replay of every event.
 * Anything else is one chunk payload: the first byte picks the chunk type
 * and the rest is wrapped, compressed and CRC'd into a valid file, so the
 * payload decoders behind the CRC are fuzzed too (random bytes would
 * almost never pass a CRC).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "record/codec.h"
#include "record/format.h"
#include "record/writer.h"
#include "source/file.h"

static uint64_t sum;

static int sink(void *ctx, const struct ev_hdr *ev)
{
	/* touch the whole record as a consumer would */
	const uint8_t *p = (const uint8_t *)ev;

	for (size_t i = 0; i < ev->size; i++)
		sum += p[i];
	return 0;
}

static void run(const uint8_t *data, size_t len)
{
	struct session s;
	struct ipc_snapshot snap;
	uint64_t ips[IPCS_STACK_DEPTH];
	int n;

	if (file_session_open_mem(&s, data, len, "fuzz", true))
		return;
	ev_bus_add(&s.bus, sink, NULL);
	while ((n = s.src->poll(s.src, 0)) != -ENODATA)
		if (n < 0)
			abort();
	if (s.snapshot_now && s.snapshot_now(&s, &snap) == 0)
		rec_snapshot_clear(&snap);
	for (int32_t id = 0; id < 4; id++)
		s.stack_ips(&s, id, ips, IPCS_STACK_DEPTH);
	for (size_t i = 0; procmeta_at(s.procs, i); i++)
		sum += procmeta_at(s.procs, i)->nmaps;
	file_session_info(&s);
	file_session_close(&s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct rec_host h = { .version = REC_VERSION, .abi = IPCS_ABI_VERSION };
	uint8_t *chunk, *file;
	size_t clen;

	if (len >= REC_MAGIC_LEN && !memcmp(data, REC_MAGIC, REC_MAGIC_LEN)) {
		/* a private copy: ASan then catches any read past len */
		uint8_t *copy = malloc(len);

		memcpy(copy, data, len);
		run(copy, len);
		free(copy);
		return 0;
	}
	if (len < 1)
		return 0;
	if (rec_encode_chunk(data[0] % (REC_CHUNK__MAX + 1), 0, data + 1, len - 1, &chunk, &clen))
		return 0;
	file = malloc(REC_HDR_LEN + clen);
	rec_encode_header(&h, file);
	memcpy(file + REC_HDR_LEN, chunk, clen);
	run(file, REC_HDR_LEN + clen);
	free(chunk);
	free(file);
	return 0;
}
