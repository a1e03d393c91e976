/*
 * Unit tests for the JSON-lines logger's per-request batching: info lines
 * collected between begin and end leave in one write at end, in order; a
 * warning flushes what was collected first, then itself; nothing is lost
 * or written twice.
 */
#include "testlib.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"

static int saved_stderr = -1;
static char path[64];

/* stderr goes to a fresh temporary file for each test. */
static int
setup(void **state)
{
	int fd;

	(void)state;
	(void)snprintf(path, sizeof(path), "/tmp/eidgw-log-XXXXXX");
	fd = mkstemp(path);
	if (fd < 0)
		return -1;
	saved_stderr = dup(STDERR_FILENO);
	if (saved_stderr < 0 || dup2(fd, STDERR_FILENO) < 0)
		return -1;
	close(fd);
	gw_log_set_level(LOG_INFO);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	gw_log_batch_end();
	if (saved_stderr >= 0) {
		dup2(saved_stderr, STDERR_FILENO);
		close(saved_stderr);
		saved_stderr = -1;
	}
	unlink(path);
	return 0;
}

static size_t
written(void)
{
	struct stat st;

	assert_int_equal(fstat(STDERR_FILENO, &st), 0);
	return (size_t)st.st_size;
}

static char *
contents(void)
{
	return tl_read_file(path, NULL);
}

static void
test_unbatched_lines_go_at_once(void **state)
{
	char *t;

	(void)state;
	gw_logkv(LOG_INFO, "r1", "ev.one", NULL, "k", "v", (const char *)NULL);
	assert_true(written() > 0);
	t = contents();
	assert_non_null(strstr(t, "\"event\":\"ev.one\""));
	assert_non_null(strstr(t, "\"req\":\"r1\""));
	assert_non_null(strstr(t, "\"k\":\"v\"}\n"));
	free(t);
}

static void
test_batch_collects_info_until_end(void **state)
{
	char *t, *a, *b;

	(void)state;
	gw_log_batch_begin();
	gw_logkv(LOG_INFO, "r2", "ev.first", NULL, (const char *)NULL);
	gw_logkv(LOG_INFO, "r2", "ev.second", NULL, (const char *)NULL);
	assert_int_equal(written(), 0);		/* collected, not written */
	gw_log_batch_end();
	t = contents();
	a = strstr(t, "ev.first");
	b = strstr(t, "ev.second");
	assert_non_null(a);
	assert_non_null(b);
	assert_true(a < b);
	assert_null(strstr(b + 1, "ev.second"));	/* once */
	free(t);
	/* after end, lines go at once again */
	gw_logkv(LOG_INFO, NULL, "ev.after", NULL, (const char *)NULL);
	t = contents();
	assert_non_null(strstr(t, "ev.after"));
	free(t);
}

static void
test_warning_flushes_in_order(void **state)
{
	char *t, *a, *w, *z;

	(void)state;
	gw_log_batch_begin();
	gw_logkv(LOG_INFO, "r3", "ev.info1", NULL, (const char *)NULL);
	assert_int_equal(written(), 0);
	gw_log(LOG_WARNING, "r3", "ev.warn", "something is off");
	t = contents();
	a = strstr(t, "ev.info1");
	w = strstr(t, "ev.warn");
	assert_non_null(a);
	assert_non_null(w);
	assert_true(a < w);			/* the earlier info line first */
	free(t);
	gw_logkv(LOG_INFO, "r3", "ev.info2", NULL, (const char *)NULL);
	t = contents();
	assert_null(strstr(t, "ev.info2"));	/* still collecting */
	free(t);
	gw_log_batch_end();
	t = contents();
	w = strstr(t, "ev.warn");
	z = strstr(t, "ev.info2");
	assert_non_null(z);
	assert_true(w < z);
	assert_null(strstr(z + 1, "ev.info1"));
	free(t);
}

/* More than the batch holds: nothing is lost and the order stays. */
static void
test_full_batch_loses_nothing(void **state)
{
	char msg[64], want[64], *t, *p, *prev = NULL;
	int i;

	(void)state;
	gw_log_batch_begin();
	for (i = 0; i < 600; i++) {
		(void)snprintf(msg, sizeof(msg), "line-%04d", i);
		gw_logkv(LOG_INFO, "r4", "ev.many", msg, (const char *)NULL);
	}
	gw_log_batch_end();
	t = contents();
	for (i = 0; i < 600; i++) {
		(void)snprintf(want, sizeof(want), "\"msg\":\"line-%04d\"", i);
		p = strstr(t, want);
		assert_non_null(p);
		assert_true(prev == NULL || p > prev);
		prev = p;
	}
	free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_unbatched_lines_go_at_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_batch_collects_info_until_end, setup, teardown),
		cmocka_unit_test_setup_teardown(test_warning_flushes_in_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_full_batch_loses_nothing, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
