#!/usr/bin/python3
"""python3-sysv-ipc doing one of each System V IPC call for the trace tests:
a semaphore acquired with a timeout (semtimedop) and released, a queue
round trip, a segment written and read through an attachment.  Prints one
JSON line with the ids; removes everything unless asked to leak ("leak":
the segment stays, for the leak tests)."""
import json
import sys

import sysv_ipc

leak = sys.argv[1:] == ["leak"]
sem = sysv_ipc.Semaphore(None, sysv_ipc.IPC_CREX, initial_value=1)
sem.acquire(timeout=0.5)
sem.release()
mq = sysv_ipc.MessageQueue(None, sysv_ipc.IPC_CREX)
mq.send(b"python payload", type=5)
body, mtype = mq.receive(type=5)
shm = sysv_ipc.SharedMemory(None, sysv_ipc.IPC_CREX, size=8192)
shm.write(b"hello")
back = shm.read(5)
shm.detach()
print(json.dumps({"sem": sem.id, "msg": mq.id, "shm": shm.id, "read": back.decode(),
                  "mtype": mtype}))
sem.remove()
mq.remove()
if not leak:
    shm.remove()
