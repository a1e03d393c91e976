/*
 * connector_loader.c - loads a connector plugin from plugins_dir and binds
 * it to one country (the only place in eidgw that calls dlopen).
 *
 * Order of checks, each refusal naming the plugin and the reason:
 *   1. the name is a plain file name (no '/', no "..") of bounded length;
 *   2. the directory and the file are owned by root or by our effective
 *      user and are writable by nobody else, and so is every directory
 *      above (sticky ones like /tmp excepted); the file is a regular file
 *      reached without a symlink (plugins_dir resolved once with realpath
 *      and only the result used; the file opened with O_NOFOLLOW, checked
 *      with fstat, and the path must still name that inode after dlopen,
 *      and the object dlopen returned must have come from that inode: an
 *      older copy of a plugin replaced on disk is refused);
 *   3. dlopen(RTLD_NOW | RTLD_LOCAL): every symbol is resolved now, none
 *      leaks into the global namespace;
 *   4. the entry symbol fills an operations table whose ABI major is ours,
 *      whose size covers the ABI 1.0 fields and whose required functions
 *      are present;
 *   5. init with the country's settings.
 * Any failure undoes everything done so far: destroy (only after a
 * successful init), dlclose, the host context, the handle.
 */
#include "connector.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/buf.h"
#include "log.h"

/* Bytes of struct eidgw_connector_ops that ABI 1.0 defines. */
#define CX_OPS_SIZE_1_0 \
	(offsetof(struct eidgw_connector_ops, destroy) + sizeof(void (*)(void *)))

/*
 * The entry point fills a table the host provides, but a plugin built for a
 * later minor version may write a larger one: give it room for that and
 * copy out what this host knows.
 */
#define CX_OPS_SCRATCH 4096

union cx_ops_scratch {
	struct eidgw_connector_ops ops;
	unsigned char room[CX_OPS_SCRATCH];
};

static const char *
cx_status_text(int st)
{
	switch (st) {
	case EIDGW_CX_OK: return "ok";
	case EIDGW_CX_DENIED: return "denied";
	case EIDGW_CX_REJECTED: return "rejected";
	case EIDGW_CX_LOA_UNMET: return "LoA unmet";
	case EIDGW_CX_UNAVAILABLE: return "unavailable";
	case EIDGW_CX_BAD_CONFIG: return "bad config";
	case EIDGW_CX_ERROR: return "error";
	case EIDGW_CX_EXISTS: return "exists";
	case EIDGW_CX_MISSING: return "missing";
	default: return "unknown status";
	}
}

static bool
name_ok(const char *name)
{
	size_t n;

	if (name == NULL || (n = strlen(name)) == 0 || n >= sizeof(((struct gw_connector *)0)->name))
		return false;
	return strchr(name, '/') == NULL && strstr(name, "..") == NULL && name[0] != '.';
}

/* Owned by root or by us, writable by nobody else. */
static enum eidgw_err
mode_ok(const char *name, const char *what, const char *path, const struct stat *st,
    struct eidgw_diag *d)
{
	enum eidgw_err rc = EIDGW_OK;

	if (st->st_uid != 0 && st->st_uid != geteuid())
		EIDGW_FAIL(d, EIDGW_E_PLUGIN_UNSAFE,
		    "plugin %s: %s %s is owned by uid %u, not by root or the gateway's user",
		    name, what, path, (unsigned int)st->st_uid);
	if ((st->st_mode & S_IWOTH) != 0)
		EIDGW_FAIL(d, EIDGW_E_PLUGIN_UNSAFE, "plugin %s: %s %s is world-writable", name,
		    what, path);
	if ((st->st_mode & S_IWGRP) != 0)
		EIDGW_FAIL(d, EIDGW_E_PLUGIN_UNSAFE, "plugin %s: %s %s is group-writable", name,
		    what, path);
out:
	return rc;
}

/*
 * Every directory above plugins_dir (after resolving links): whoever can
 * rename entries in one of them can swap the plugins directory.  A sticky
 * world-writable directory such as /tmp is fine: others cannot rename what
 * they do not own.
 */
static enum eidgw_err
check_parents(const char *name, const char *dir, struct eidgw_diag *d)
{
	struct stat st;
	enum eidgw_err rc = EIDGW_OK;
	char *real = NULL, *slash;

	if ((real = realpath(dir, NULL)) == NULL)
		EIDGW_FAIL(d, EIDGW_E_PLUGIN_LOAD, "plugin %s: plugins_dir %s: %s", name, dir,
		    strerror(errno));
	while ((slash = strrchr(real, '/')) != NULL) {
		if (slash == real)
			slash[1] = '\0';	/* the root itself is the last one */
		else
			*slash = '\0';
		if (stat(real, &st) != 0)
			EIDGW_FAIL(d, EIDGW_E_PLUGIN_LOAD, "plugin %s: %s: %s", name, real,
			    strerror(errno));
		if (st.st_uid != 0 && st.st_uid != geteuid())
			EIDGW_FAIL(d, EIDGW_E_PLUGIN_UNSAFE,
			    "plugin %s: parent directory %s is owned by uid %u, not by root or the "
			    "gateway's user", name, real, (unsigned int)st.st_uid);
		if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0 && (st.st_mode & S_ISVTX) == 0)
			EIDGW_FAIL(d, EIDGW_E_PLUGIN_UNSAFE,
			    "plugin %s: parent directory %s is writable by others (no sticky bit)",
			    name, real);
		if (slash == real)
			break;
	}
out:
	free(real);
	return rc;
}

/* Step 2: the directory, then the file itself (opened without following links). */
static enum eidgw_err
check_files(const char *name, const char *dir, const char *path, struct stat *fst,
    struct eidgw_diag *d)
{
	struct stat dst;
	enum eidgw_err rc = EIDGW_E_INTERNAL;
	int fd = -1;

	if (stat(dir, &dst) != 0)
		EIDGW_FAIL(d, EIDGW_E_PLUGIN_LOAD, "plugin %s: plugins_dir %s: %s", name, dir,
		    strerror(errno));
	if (!S_ISDIR(dst.st_mode))
		EIDGW_FAIL(d, EIDGW_E_PLUGIN_LOAD, "plugin %s: plugins_dir %s is not a directory",
		    name, dir);
	EIDGW_TRY(mode_ok(name, "directory", dir, &dst, d));
	EIDGW_TRY(check_parents(name, dir, d));
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK)) < 0) {
		if (errno == ELOOP)
			EIDGW_FAIL(d, EIDGW_E_PLUGIN_UNSAFE, "plugin %s: %s is a symbolic link",
			    name, path);
		EIDGW_FAIL(d, EIDGW_E_PLUGIN_LOAD, "plugin %s: %s: %s", name, path,
		    strerror(errno));
	}
	if (fstat(fd, fst) != 0)
		EIDGW_FAIL(d, EIDGW_E_PLUGIN_LOAD, "plugin %s: %s: %s", name, path,
		    strerror(errno));
	if (!S_ISREG(fst->st_mode))
		EIDGW_FAIL(d, EIDGW_E_PLUGIN_UNSAFE, "plugin %s: %s is not a regular file", name,
		    path);
	EIDGW_TRY(mode_ok(name, "file", path, fst, d));
	rc = EIDGW_OK;
out:
	if (fd >= 0)
		(void)close(fd);
	return rc;
}

/* Step 4: the table the entry point returned. */
static enum eidgw_err
check_ops(const char *name, const struct eidgw_connector_ops *ops, struct eidgw_diag *d)
{
	enum eidgw_err rc = EIDGW_OK;
	uint32_t major = EIDGW_CONNECTOR_ABI_MAJOR_OF(ops->abi_version);

	if (major != EIDGW_CONNECTOR_ABI_MAJOR)
		EIDGW_FAIL(d, EIDGW_E_PLUGIN_ABI,
		    "plugin %s: ABI major %u (version %u.%u), this gateway speaks %u (version %u.%u)",
		    name, (unsigned int)major, (unsigned int)major,
		    (unsigned int)(ops->abi_version & 0xffffu), EIDGW_CONNECTOR_ABI_MAJOR,
		    EIDGW_CONNECTOR_ABI_MAJOR, EIDGW_CONNECTOR_ABI_MINOR);
	if (ops->struct_size < CX_OPS_SIZE_1_0 || ops->struct_size > CX_OPS_SCRATCH)
		EIDGW_FAIL(d, EIDGW_E_PLUGIN_ABI,
		    "plugin %s: operations table of %u bytes, ABI %u.0 needs at least %zu",
		    name, (unsigned int)ops->struct_size, EIDGW_CONNECTOR_ABI_MAJOR,
		    (size_t)CX_OPS_SIZE_1_0);
	if (ops->init == NULL || ops->start_login == NULL || ops->finish_login == NULL ||
	    ops->destroy == NULL)
		EIDGW_FAIL(d, EIDGW_E_PLUGIN_ABI,
		    "plugin %s: operations table lacks init, start_login, finish_login or destroy",
		    name);
	if (ops->name == NULL || strnlen(ops->name, 128) == 128)
		EIDGW_FAIL(d, EIDGW_E_PLUGIN_ABI, "plugin %s: operations table has no name", name);
out:
	return rc;
}

/*
 * The files behind the handles this loader holds.  dlopen() of a path whose
 * object is still mapped returns that object without reading the file
 * again, so after a plugin was replaced on disk (a new inode) a reload
 * would check the new file and run the old code.  Each handle is recorded
 * with the device and inode checked when it was first opened, and counted;
 * a later open that returns the same handle for another file is refused.
 * Connectors are freed on any thread: a mutex guards the table.
 */
#define CX_MAX_HANDLES 64

static struct {
	void *dl;
	dev_t dev;
	ino_t ino;
	unsigned int refs;
} handles[CX_MAX_HANDLES];
static pthread_mutex_t handles_mu = PTHREAD_MUTEX_INITIALIZER;

/*
 * Counts one more use of dl for (dev, ino), handles_mu held; false when dl
 * came from another file or the table is full.
 */
static bool
handle_hold_locked(void *dl, dev_t dev, ino_t ino, bool *other_file)
{
	size_t i, free_slot = CX_MAX_HANDLES;
	bool ok = false;

	*other_file = false;
	for (i = 0; i < CX_MAX_HANDLES; i++) {
		if (handles[i].refs == 0) {
			if (free_slot == CX_MAX_HANDLES)
				free_slot = i;
			continue;
		}
		if (handles[i].dl != dl)
			continue;
		if (handles[i].dev != dev || handles[i].ino != ino)
			*other_file = true;
		else {
			handles[i].refs++;
			ok = true;
		}
		goto out;
	}
	if (free_slot < CX_MAX_HANDLES) {
		handles[free_slot].dl = dl;
		handles[free_slot].dev = dev;
		handles[free_slot].ino = ino;
		handles[free_slot].refs = 1;
		ok = true;
	}
out:
	return ok;
}

/* One use of dl less; dlclose()s it. */
static void
handle_release(void *dl)
{
	size_t i;

	(void)pthread_mutex_lock(&handles_mu);
	for (i = 0; i < CX_MAX_HANDLES; i++)
		if (handles[i].refs != 0 && handles[i].dl == dl) {
			handles[i].refs--;
			break;
		}
	(void)dlclose(dl);
	(void)pthread_mutex_unlock(&handles_mu);
}

enum eidgw_err
gw_connector_load_plugin(struct gw_app *app, const struct gw_config *cfg,
    const struct gw_country_conf *country, struct gw_connector **out, struct eidgw_diag *d)
{
	union cx_ops_scratch scratch;
	struct eidgw_connector_init in;
	struct gw_connector *c = NULL;
	struct eidgw_buf path, ret;
	struct stat fst, lst;
	eidgw_connector_entry_fn entry;
	const char *name = "?", *cc = "??";
	char *real = NULL;
	void *sym, *state = NULL;
	char why[512] = "";
	enum eidgw_err rc = EIDGW_E_INTERNAL;
	bool inited = false, other_file;
	int st;

	if (out != NULL)
		*out = NULL;
	eidgw_buf_init(&path, 4096);
	eidgw_buf_init(&ret, 4096);
	if (out == NULL || cfg == NULL || country == NULL)
		EIDGW_FAIL(d, EIDGW_E_INVAL, "plugin: missing argument");
	if (country->connector != NULL)
		name = country->connector;
	cc = country->code;
	if (!name_ok(country->connector))
		EIDGW_FAIL(d, EIDGW_E_PLUGIN_LOAD,
		    "plugin %.64s: not a plain file name (no '/', no \"..\", no leading '.', "
		    "under 64 bytes)", name);
	if (cfg->plugins_dir == NULL || cfg->plugins_dir[0] == '\0')
		EIDGW_FAIL(d, EIDGW_E_PLUGIN_LOAD, "plugin %s: plugins_dir is not set", name);
	/*
	 * Resolve plugins_dir once and use only the result: checked, opened
	 * and dlopen()ed, the path holds no symbolic link that could be
	 * pointed elsewhere between the checks and dlopen (a link whose own
	 * directory the checks never see).
	 */
	if ((real = realpath(cfg->plugins_dir, NULL)) == NULL)
		EIDGW_FAIL(d, EIDGW_E_PLUGIN_LOAD, "plugin %s: plugins_dir %s: %s", name,
		    cfg->plugins_dir, strerror(errno));
	if (eidgw_buf_printf(&path, "%s/%s.so", real, name) != EIDGW_OK)
		EIDGW_FAIL(d, EIDGW_E_PLUGIN_LOAD, "plugin %s: path too long", name);
	EIDGW_TRY(check_files(name, real, path.data, &fst, d));

	if ((c = calloc(1, sizeof(*c))) == NULL)
		EIDGW_FAIL(d, EIDGW_E_NOMEM, "plugin %s: out of memory", name);
	(void)snprintf(c->name, sizeof(c->name), "%s", name);
	(void)snprintf(c->country, sizeof(c->country), "%s", cc);
	if ((rc = gw_connector_host_init(app, cfg, c->name, c->country, &c->host,
	    &c->host_ctx)) != EIDGW_OK)
		EIDGW_FAIL(d, rc, "plugin %s: host services: %s", name, eidgw_err_name(rc));

	/* dlopen and the handle table under one lock: a release cannot slip in between */
	(void)pthread_mutex_lock(&handles_mu);
	(void)dlerror();
	if ((c->dl = dlopen(path.data, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		const char *e = dlerror();

		(void)snprintf(why, sizeof(why), "dlopen failed: %s", e != NULL ? e : "unknown error");
	} else if (!handle_hold_locked(c->dl, fst.st_dev, fst.st_ino, &other_file)) {
		(void)dlclose(c->dl);
		c->dl = NULL;
		if (other_file)
			(void)snprintf(why, sizeof(why), "%s was replaced on disk while the copy "
			    "loaded before is still in use; restart eidgw to load the new file",
			    path.data);
		else
			(void)snprintf(why, sizeof(why), "more than %d plugin files loaded",
			    CX_MAX_HANDLES);
	}
	(void)pthread_mutex_unlock(&handles_mu);
	if (c->dl == NULL)
		EIDGW_FAIL(d, EIDGW_E_PLUGIN_LOAD, "plugin %s: %s", name, why);
	/* The path must still be the file we checked (no swap in between). */
	if (lstat(path.data, &lst) != 0 || lst.st_dev != fst.st_dev || lst.st_ino != fst.st_ino)
		EIDGW_FAIL(d, EIDGW_E_PLUGIN_UNSAFE, "plugin %s: %s changed while loading", name,
		    path.data);
	(void)dlerror();
	if ((sym = dlsym(c->dl, EIDGW_CONNECTOR_ENTRY_SYMBOL)) == NULL)
		EIDGW_FAIL(d, EIDGW_E_PLUGIN_LOAD, "plugin %s: no entry symbol %s", name,
		    EIDGW_CONNECTOR_ENTRY_SYMBOL);
	/* ISO C cannot convert an object pointer to a function pointer; POSIX can. */
	memcpy(&entry, &sym, sizeof(entry));

	memset(&scratch, 0, sizeof(scratch));
	scratch.ops.struct_size = CX_OPS_SCRATCH;	/* the room the plugin may fill */
	if ((st = entry(&c->host, &scratch.ops)) != EIDGW_CX_OK)
		EIDGW_FAIL(d, EIDGW_E_PLUGIN_LOAD, "plugin %s: entry point failed: %s (%d)", name,
		    cx_status_text(st), st);
	EIDGW_TRY(check_ops(name, &scratch.ops, d));
	if (strcmp(scratch.ops.name, name) != 0)
		gw_logkv(LOG_NOTICE, NULL, "connector.name_differs",
		    "the plugin calls itself by another name than its file", "connector", name,
		    "country", cc, (const char *)NULL);

	if (eidgw_buf_printf(&ret, "%s/login/return",
	    cfg->server.public_url != NULL ? cfg->server.public_url : "") != EIDGW_OK)
		EIDGW_FAIL(d, EIDGW_E_PLUGIN_LOAD, "plugin %s: public_url too long", name);
	memset(&in, 0, sizeof(in));
	in.struct_size = (uint32_t)sizeof(in);
	in.country = c->country;
	in.settings_yaml = country->plugin_settings_yaml != NULL ? country->plugin_settings_yaml : "";
	in.public_url = cfg->server.public_url != NULL ? cfg->server.public_url : "";
	in.return_url = ret.data;
	if ((st = scratch.ops.init(&c->host, &in, &state)) != EIDGW_CX_OK)
		EIDGW_FAIL(d, EIDGW_E_PLUGIN_INIT, "plugin %s: init failed: %s", name,
		    cx_status_text(st));
	inited = true;

	/* Loaded: from here on gw_connector_free undoes it. */
	memcpy(&c->ops, &scratch.ops, sizeof(c->ops));
	c->state = state;
	gw_logkv(LOG_INFO, NULL, "connector.loaded", NULL, "connector", name, "country", cc,
	    (const char *)NULL);
	*out = c;
	c = NULL;
	rc = EIDGW_OK;
out:
	if (rc != EIDGW_OK) {
		if (d != NULL && d->code != EIDGW_OK)
			gw_logkv(LOG_ERR, NULL, "connector.load_failed", d->reason, "connector",
			    name, "country", cc, "code", eidgw_err_name(rc), (const char *)NULL);
		else
			gw_logkv(LOG_ERR, NULL, "connector.load_failed", NULL, "connector", name,
			    "country", cc, "code", eidgw_err_name(rc), (const char *)NULL);
	}
	if (c != NULL) {
		if (inited)
			scratch.ops.destroy(state);
		if (c->dl != NULL)
			handle_release(c->dl);
		gw_connector_host_free(c->host_ctx);
		free(c);
	}
	free(real);
	eidgw_buf_free(&path);
	eidgw_buf_free(&ret);
	return rc;
}

void
gw_connector_free(struct gw_connector *c)
{
	if (c == NULL)
		return;
	/* ops is only filled once init has succeeded. */
	if (c->ops.destroy != NULL)
		c->ops.destroy(c->state);
	if (c->dl != NULL)
		handle_release(c->dl);
	gw_connector_host_free(c->host_ctx);
	free(c);
}
