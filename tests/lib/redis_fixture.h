/*
 * redis_fixture.h - a throwaway redis-server for tests: loopback only, a free
 * port, no persistence, its own temporary directory.  The server dies with
 * the test process (PR_SET_PDEATHSIG and an atexit hook), so a crashed test
 * leaves nothing running.  A missing redis-server is a failure, not a skip.
 */
#ifndef EIDGW_TEST_REDIS_FIXTURE_H
#define EIDGW_TEST_REDIS_FIXTURE_H

#include <stdbool.h>
#include <sys/types.h>

struct redis_fixture {
	pid_t pid;		/* 0 when not running */
	int port;
	char *dir;		/* temporary working directory */
	char url[64];		/* redis://127.0.0.1:PORT */
	bool stopped;		/* SIGSTOPped */
};

/* Starts a server on a free port and waits until it answers PING; 0 or -1. */
int rf_start(struct redis_fixture *f);
/* Kills the server (SIGKILL) and reaps it; the port and directory stay. */
void rf_kill(struct redis_fixture *f);
/* Starts the server again on the same port; 0 or -1. */
int rf_restart(struct redis_fixture *f);
/* Freezes (SIGSTOP) or thaws (SIGCONT) the server: it accepts but never answers. */
void rf_freeze(struct redis_fixture *f, bool frozen);
/* Kills the server and removes the directory; safe to call twice. */
void rf_cleanup(struct redis_fixture *f);

#endif
