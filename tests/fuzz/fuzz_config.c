/* fuzz-lib: eidgw_gw */
/*
 * fuzz_config.c - the configuration loader on arbitrary bytes: the input is
 * written to a temporary gateway.yaml, and the same bytes to clients/c.yaml
 * and countries/XX.yaml beside it (the default clients_dir and
 * countries_dir), then loaded, so one input drives the gateway, client and
 * country tables alike.  Key files it may name do not exist, so this
 * exercises the YAML parser, the walker, the type and value checks and the
 * error collection (and that nothing leaks on any of those paths).
 * Target: gw_config_load.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[64];
static char path[3][128];
static char sub[2][80];

static void
cleanup(void)
{
	int i;

	for (i = 0; i < 3; i++)
		(void)unlink(path[i]);
	for (i = 0; i < 2; i++)
		(void)rmdir(sub[i]);
	(void)rmdir(dir);
}

static void
put(const char *p, const uint8_t *data, size_t size)
{
	FILE *f;

	if ((f = fopen(p, "wb")) == NULL)
		abort();
	if (size != 0 && fwrite(data, 1, size, f) != size)
		abort();
	if (fclose(f) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gw_config_errors errs;
	struct gw_config *c = NULL;
	int i;

	if (dir[0] == '\0') {
		(void)snprintf(dir, sizeof(dir), "/tmp/eidgw-fuzz-config-XXXXXX");
		if (mkdtemp(dir) == NULL)
			abort();
		(void)snprintf(sub[0], sizeof(sub[0]), "%s/clients", dir);
		(void)snprintf(sub[1], sizeof(sub[1]), "%s/countries", dir);
		(void)snprintf(path[0], sizeof(path[0]), "%s/gateway.yaml", dir);
		(void)snprintf(path[1], sizeof(path[1]), "%s/c.yaml", sub[0]);
		(void)snprintf(path[2], sizeof(path[2]), "%s/XX.yaml", sub[1]);
		if (mkdir(sub[0], 0700) != 0 || mkdir(sub[1], 0700) != 0)
			abort();
		atexit(cleanup);
	}
	for (i = 0; i < 3; i++)
		put(path[i], data, size);
	if (gw_config_load(path[0], &c, &errs) == EIDGW_OK) {
		/* Only possible without key files: never, but free it if so. */
		gw_config_unref(c);
	}
	gw_config_errors_free(&errs);
	return 0;
}
