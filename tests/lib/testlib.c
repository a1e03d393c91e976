/* testlib.c - see testlib.h. */
#include "testlib.h"

#include <ftw.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

char *
tl_read_file(const char *path, size_t *lenp)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0)
		goto out;
	buf = malloc((size_t)n + 1);
	if (buf == NULL)
		goto out;
	if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
		goto out;
	}
	buf[n] = '\0';
	if (lenp != NULL)
		*lenp = (size_t)n;
out:
	fclose(f);
	return buf;
}

char *
tl_read_data(const char *relpath, size_t *lenp)
{
	return tl_read_file(tl_path(EIDGW_TEST_DATA, relpath), lenp);
}

int
tl_write_file(const char *path, const char *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	int rc = 0;

	if (f == NULL)
		return -1;
	if (fwrite(data, 1, len, f) != len)
		rc = -1;
	if (fclose(f) != 0)
		rc = -1;
	return rc;
}

char *
tl_mkdtemp(void)
{
	char tmpl[] = "/tmp/eidgw-test-XXXXXX";
	char *d = mkdtemp(tmpl);

	return d != NULL ? strdup(d) : NULL;
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st; (void)flag; (void)ftw;
	return remove(path);
}

void
tl_rmtree(const char *path)
{
	if (path != NULL)
		(void)nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

const char *
tl_path(const char *dir, const char *name)
{
	static char bufs[8][4096];
	static unsigned int next;
	char *b = bufs[next++ % 8];

	(void)snprintf(b, 4096, "%s/%s", dir, name);
	return b;
}
