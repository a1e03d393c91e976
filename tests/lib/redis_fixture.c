/* redis_fixture.c - see redis_fixture.h. */
#include "redis_fixture.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testlib.h"

#define RF_MAX 4

/* Servers still running, killed at exit whatever happened to the test. */
static pid_t rf_live[RF_MAX];

static void
rf_atexit(void)
{
	size_t i;

	for (i = 0; i < RF_MAX; i++)
		if (rf_live[i] > 0) {
			(void)kill(rf_live[i], SIGKILL);
			(void)waitpid(rf_live[i], NULL, 0);
			rf_live[i] = 0;
		}
}

static void
rf_track(pid_t old, pid_t pid)
{
	static int hooked;
	size_t i;

	if (!hooked) {
		hooked = 1;
		(void)atexit(rf_atexit);
	}
	for (i = 0; i < RF_MAX; i++)
		if (rf_live[i] == old) {
			rf_live[i] = pid;
			return;
		}
}

static int
free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t alen = sizeof(a);
	int fd, port = -1;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&a, &alen) == 0)
		port = ntohs(a.sin_port);
	(void)close(fd);
	return port;
}

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* One PING over a raw socket; true on +PONG. */
static bool
rf_ping(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	struct timeval tv = { 0, 200000 };
	char buf[16];
	ssize_t n;
	bool ok = false;
	int fd;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons((uint16_t)port);
	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return false;
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
	    send(fd, "PING\r\n", 6, MSG_NOSIGNAL) == 6 &&
	    (n = recv(fd, buf, sizeof(buf) - 1, 0)) > 0) {
		buf[n] = '\0';
		ok = strncmp(buf, "+PONG", 5) == 0;
	}
	(void)close(fd);
	return ok;
}

static void
rf_show_log(const char *path)
{
	char *text = tl_read_file(path, NULL);

	if (text != NULL)
		fprintf(stderr, "redis_fixture: %s:\n%s\n", path, text);
	free(text);
}

static int
rf_spawn(struct redis_fixture *f)
{
	char port[16], log[4096];
	pid_t parent = getpid(), pid;
	int i, status;

	(void)snprintf(port, sizeof(port), "%d", f->port);
	(void)snprintf(log, sizeof(log), "%s/redis.log", f->dir);
	if ((pid = fork()) < 0)
		return -1;
	if (pid == 0) {
		/* Die with the test, even if it crashes. */
		(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(126);
		execlp("redis-server", "redis-server", "--port", port, "--bind", "127.0.0.1",
		    "--save", "", "--appendonly", "no", "--dir", f->dir, "--daemonize", "no",
		    "--loglevel", "warning", "--logfile", log, (char *)NULL);
		fprintf(stderr, "redis_fixture: cannot run redis-server: %s\n", strerror(errno));
		_exit(127);
	}
	rf_track(0, pid);
	f->pid = pid;
	f->stopped = false;
	for (i = 0; i < 250; i++) {	/* up to 5 s */
		if (waitpid(pid, &status, WNOHANG) == pid) {
			rf_track(pid, 0);
			f->pid = 0;
			fprintf(stderr, "redis_fixture: redis-server on port %d exited (status %d)\n",
			    f->port, status);
			rf_show_log(log);
			return -1;
		}
		if (rf_ping(f->port))
			return 0;
		sleep_ms(20);
	}
	fprintf(stderr, "redis_fixture: redis-server on port %d did not answer\n", f->port);
	rf_show_log(log);
	rf_kill(f);
	return -1;
}

int
rf_start(struct redis_fixture *f)
{
	int attempt;

	memset(f, 0, sizeof(*f));
	if ((f->dir = tl_mkdtemp()) == NULL)
		return -1;
	for (attempt = 0; attempt < 3; attempt++) {
		if ((f->port = free_port()) < 0)
			return -1;
		(void)snprintf(f->url, sizeof(f->url), "redis://127.0.0.1:%d", f->port);
		if (rf_spawn(f) == 0)
			return 0;
	}
	return -1;
}

void
rf_kill(struct redis_fixture *f)
{
	if (f->pid <= 0)
		return;
	(void)kill(f->pid, SIGKILL);
	(void)waitpid(f->pid, NULL, 0);
	rf_track(f->pid, 0);
	f->pid = 0;
	f->stopped = false;
}

int
rf_restart(struct redis_fixture *f)
{
	int attempt;

	rf_kill(f);
	for (attempt = 0; attempt < 3; attempt++) {
		if (rf_spawn(f) == 0)
			return 0;
		sleep_ms(200);
	}
	return -1;
}

void
rf_freeze(struct redis_fixture *f, bool frozen)
{
	if (f->pid <= 0)
		return;
	(void)kill(f->pid, frozen ? SIGSTOP : SIGCONT);
	f->stopped = frozen;
}

void
rf_cleanup(struct redis_fixture *f)
{
	rf_kill(f);
	if (f->dir != NULL) {
		tl_rmtree(f->dir);
		free(f->dir);
		f->dir = NULL;
	}
}
