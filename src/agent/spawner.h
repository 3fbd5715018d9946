/* Starting pod supervisors (runtime.c) without forking the agent and without an exec per pod.
 *
 * A pod's supervisor must be nobody's child (so the agent can die and restart without it), hold
 * the pod's lock and listen on its control socket before the agent connects. The way there used to
 * be fork (of the agent: page tables and copy-on-write faults in proportion to its memory, which
 * inside `portico server` is the whole API server's), setsid, lock, bind, fork, exec (~7 ms of CPU
 * for the dynamic loader and page faults of a 4 MiB binary with 16 libraries). With 50 pods created
 * at once on 2 CPUs, that was half the CPU time of the agent and its children, and every pod waited
 * for it.
 *
 * The spawner is one small, single-threaded `portico supervise --spawner FD` process, exec'd once
 * (posix_spawn: no copy of the agent) when the runtime first starts a pod. Per pod the agent sends
 * it the pod directory over a SOCK_SEQPACKET socket pair; it forks an intermediate child that takes
 * the lock, binds the control socket and forks the supervisor, which runs runtime_supervise_main()
 * right there (the libraries are loaded already); the intermediate exits and the spawner replies
 * with its exit status. The spawner exits when the agent's end of the socket closes (the agent died
 * or freed the runtime); supervisors live on. When the spawner is unavailable the runtime falls
 * back to spawner_fork_direct(), the old fork-and-exec path. */
#pragma once

typedef struct spawner spawner_t;

/* Starts `exe supervise --spawner 3`. *ret: caller frees with spawner_free(). Negative errno. */
int spawner_new(const char *exe, spawner_t **ret);
/* Closes the socket (the spawner exits) and reaps it. Accepts NULL. */
void spawner_free(spawner_t *s);
/* Starts dir's supervisor through the spawner and waits for the intermediate child's verdict
 * (blocking; a fork and a few system calls in a small process). 0: the lock is held (by the new
 * supervisor, or by one that took it first) and the control socket accepts. -EPIPE: the spawner is
 * gone (the caller frees it and falls back); -EIO: the start failed; -ETIMEDOUT. */
int spawner_spawn(spawner_t *s, const char *dir);

/* The same without a spawner: fork (only async-signal-safe calls in the child: the caller may have
 * threads), setsid, lock, bind, fork, exec `exe supervise DIR --lock-fd 3 --listen-fd 4`. Blocks until
 * the intermediate child exits. 0 or -EIO / negative errno. */
int spawner_fork_direct(const char *exe, const char *dir);

/* `portico supervise --spawner FD`: the spawner's loop, called from runtime_supervise_main() with its
 * argv ("supervise", "--spawner", FD). */
int spawner_main(int argc, char **argv);
