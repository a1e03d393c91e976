/* fuzz-lib: eidgw_gw */
/*
 * fuzz_config.c - the configuration loader on arbitrary bytes: the input is
 * written to a temporary gateway.yaml and loaded.  Key files it may name do
 * not exist, so this exercises the YAML parser, the walker, the type and
 * value checks and the error collection (and that nothing leaks on any of
 * those paths).  Target: gw_config_load.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[64];
static char path[128];

static void
cleanup(void)
{
	(void)unlink(path);
	(void)rmdir(dir);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gw_config_errors errs;
	struct gw_config *c = NULL;
	FILE *f;

	if (dir[0] == '\0') {
		(void)snprintf(dir, sizeof(dir), "/tmp/eidgw-fuzz-config-XXXXXX");
		if (mkdtemp(dir) == NULL)
			abort();
		(void)snprintf(path, sizeof(path), "%s/gateway.yaml", dir);
		atexit(cleanup);
	}
	if ((f = fopen(path, "wb")) == NULL)
		abort();
	if (size != 0 && fwrite(data, 1, size, f) != size)
		abort();
	if (fclose(f) != 0)
		abort();
	if (gw_config_load(path, &c, &errs) == EIDGW_OK) {
		/* Only possible without key files: never, but free it if so. */
		gw_config_unref(c);
	}
	gw_config_errors_free(&errs);
	return 0;
}
