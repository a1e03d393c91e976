/*
 * config_schema.c - the directive tables of gateway.yaml, clients/NAME.yaml and
 * countries/XX.yaml (the single source of key names, types, defaults, ranges
 * and the reference text), the value checks (URLs, CIDRs, listen address,
 * identifiers), and the checks that need a whole section or the whole
 * configuration: key loading, one active OIDC key per algorithm, duplicate
 * client ids and country codes.  docs/configuration.md documents the
 * decisions taken here; the unit test test_config_docs.c keeps the two in
 * step.
 */
#include "config_int.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include "core/util.h"

#define LOA_SUBSTANTIAL_URI "http://eidas.europa.eu/LoA/substantial"

/* ---- URLs ------------------------------------------------------------- */

struct url {
	char scheme[8];
	const char *host;
	size_t host_len;		/* with the brackets of an IPv6 literal */
	long port;			/* -1: none */
	size_t path_len;
	bool query, fragment;
};

static bool
url_parse_ui(const char *s, struct url *u, const char **why, bool userinfo)
{
	const char *p, *h;
	size_t i;

	memset(u, 0, sizeof(*u));
	u->port = -1;
	for (p = s; *p != '\0'; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f) {
			*why = "contains a space, control or non-ASCII character";
			return false;
		}
	for (i = 0; isalpha((unsigned char)s[i]) && i < sizeof(u->scheme) - 1; i++)
		u->scheme[i] = (char)tolower((unsigned char)s[i]);
	if (i == 0 || strncmp(s + i, "://", 3) != 0) {
		*why = "is not an absolute URL (scheme://host...)";
		return false;
	}
	h = p = s + i + 3;
	while (*p != '\0' && *p != '/' && *p != '?' && *p != '#') {
		if (*p == '@') {
			if (!userinfo) {
				*why = "must not carry user information (user@)";
				return false;
			}
			h = p + 1;	/* skip [user][:password]@ */
		}
		p++;
	}
	/* authority is [h, p) */
	if (*h == '[') {
		char v6[64];
		unsigned char a[16];
		const char *e = memchr(h, ']', (size_t)(p - h));

		if (e == NULL || (size_t)(e - h - 1) >= sizeof(v6)) {
			*why = "has a malformed IPv6 address";
			return false;
		}
		memcpy(v6, h + 1, (size_t)(e - h - 1));
		v6[e - h - 1] = '\0';
		if (inet_pton(AF_INET6, v6, a) != 1) {
			*why = "has a malformed IPv6 address";
			return false;
		}
		u->host = h;
		u->host_len = (size_t)(e - h + 1);
		h = e + 1;
	} else {
		const char *e = h;

		while (e < p && *e != ':') {
			if (!isalnum((unsigned char)*e) && *e != '.' && *e != '-') {
				*why = "has a host name with characters other than letters, digits, '.' and '-'";
				return false;
			}
			e++;
		}
		u->host = h;
		u->host_len = (size_t)(e - h);
		h = e;
	}
	if (u->host_len == 0) {
		*why = "has no host";
		return false;
	}
	if (h < p) {
		long port = 0;

		if (*h != ':' || h + 1 == p) {
			*why = "has a malformed port";
			return false;
		}
		for (h++; h < p; h++) {
			if (!isdigit((unsigned char)*h) || port > 65535) {
				*why = "has a malformed port";
				return false;
			}
			port = port * 10 + (*h - '0');
		}
		if (port < 1 || port > 65535) {
			*why = "has a port outside 1-65535";
			return false;
		}
		u->port = port;
	}
	while (*p != '\0' && *p != '?' && *p != '#') {
		u->path_len++;
		p++;
	}
	if (*p == '?') {
		u->query = true;
		p += strcspn(p, "#");
	}
	if (*p == '#')
		u->fragment = true;
	return true;
}

static bool
url_parse(const char *s, struct url *u, const char **why)
{
	return url_parse_ui(s, u, why, false);
}

static bool
url_host_is(const struct url *u, const char *h)
{
	return strlen(h) == u->host_len && strncasecmp(u->host, h, u->host_len) == 0;
}

static bool
url_loopback(const struct url *u)
{
	return url_host_is(u, "127.0.0.1") || url_host_is(u, "localhost") ||
	    url_host_is(u, "[::1]");
}

/* https, or http to a loopback host (development only). */
static bool
url_https_or_loopback(struct cfg_ctx *x, const struct url *u, int line, const char *path,
    const char *name, const char *value)
{
	if (strcmp(u->scheme, "https") == 0)
		return true;
	if (strcmp(u->scheme, "http") == 0 && url_loopback(u))
		return true;
	cfg_err(x, line, EIDGW_E_CONFIG_VALUE,
	    "%s%s: '%s' must use https (http only to 127.0.0.1, [::1] or localhost)",
	    path, name, value);
	return false;
}

static bool
check_alpha2(struct cfg_ctx *x, const char *v, int line, const char *path,
    const struct cfg_directive *d)
{
	if (strlen(v) == 2 && isupper((unsigned char)v[0]) && isupper((unsigned char)v[1]))
		return true;
	cfg_err(x, line, EIDGW_E_CONFIG_VALUE,
	    "%s%s: '%s' must be an ISO 3166-1 alpha-2 code in upper case (EL for Greece, EU for "
	    "EU institutions)", path, d->name, v);
	return false;
}

/* Parses v as a URL that is https, or http to a loopback host; errors name path and d. */
static bool
web_url_parse(struct cfg_ctx *x, const char *v, int line, const char *path,
    const struct cfg_directive *d, struct url *u)
{
	const char *why = NULL;

	if (!url_parse(v, u, &why)) {
		cfg_err(x, line, EIDGW_E_CONFIG_VALUE, "%s%s: '%s' %s", path, d->name, v, why);
		return false;
	}
	return url_https_or_loopback(x, u, line, path, d->name, v);
}

static bool
check_public_url(struct cfg_ctx *x, const char *v, int line, const char *path,
    const struct cfg_directive *d)
{
	struct url u;

	if (!web_url_parse(x, v, line, path, d, &u))
		return false;
	/* Only "scheme://host[:port]" or the same with one trailing '/'. */
	if (u.path_len > 1 || (u.path_len == 1 && v[strlen(v) - 1] != '/') || u.query ||
	    u.fragment) {
		cfg_err(x, line, EIDGW_E_CONFIG_VALUE,
		    "%s%s: '%s' must be scheme://host[:port] without path, query or fragment",
		    path, d->name, v);
		return false;
	}
	return true;
}

static bool
check_redirect_uri(struct cfg_ctx *x, const char *v, int line, const char *path,
    const struct cfg_directive *d)
{
	struct url u;

	if (!web_url_parse(x, v, line, path, d, &u))
		return false;
	if (u.fragment) {
		cfg_err(x, line, EIDGW_E_CONFIG_VALUE, "%s%s: '%s' must not have a fragment (#)",
		    path, d->name, v);
		return false;
	}
	return true;
}

static bool
check_redis_url(struct cfg_ctx *x, const char *v, int line, const char *path,
    const struct cfg_directive *d)
{
	const char *why = NULL;
	struct url u;

	/* The URL may carry a password: never echo it. */
	if (!url_parse_ui(v, &u, &why, true)) {
		cfg_err(x, line, EIDGW_E_CONFIG_VALUE, "%s%s %s", path, d->name, why);
		return false;
	}
	if ((strcmp(u.scheme, "redis") != 0 && strcmp(u.scheme, "rediss") != 0) || u.query ||
	    u.fragment) {
		cfg_err(x, line, EIDGW_E_CONFIG_VALUE,
		    "%s%s must be redis://[[user]:password@]host[:port][/db] or rediss://...",
		    path, d->name);
		return false;
	}
	return true;
}

/* An absolute URI (scheme ":" ...), for entity ids and attribute names. */
static bool
check_uri(struct cfg_ctx *x, const char *v, int line, const char *path,
    const struct cfg_directive *d)
{
	const char *p = v;

	if (isalpha((unsigned char)*p))
		while (isalnum((unsigned char)*p) || *p == '+' || *p == '-' || *p == '.')
			p++;
	if (p == v || *p != ':' || p[1] == '\0' || strpbrk(v, " \t\r\n") != NULL) {
		cfg_err(x, line, EIDGW_E_CONFIG_VALUE, "%s%s: '%s' is not an absolute URI",
		    path, d->name, v);
		return false;
	}
	return true;
}

/* Identifiers (client_id, kid, connector): [A-Za-z0-9._~-], 1 to 128 characters. */
static bool
check_ident(struct cfg_ctx *x, const char *v, int line, const char *path,
    const struct cfg_directive *d)
{
	const char *p;

	for (p = v; *p != '\0'; p++)
		if (!isalnum((unsigned char)*p) && strchr("._~-", *p) == NULL)
			break;
	if (*p != '\0' || p - v > 128) {
		cfg_err(x, line, EIDGW_E_CONFIG_VALUE,
		    "%s%s: '%.60s' may only use letters, digits, '.', '_', '~', '-' (at most 128)",
		    path, d->name, v);
		return false;
	}
	return true;
}

/* An attribute name variant: "NAME EIDAS-NAME", two URIs separated by one space. */
static bool
check_alias(struct cfg_ctx *x, const char *v, int line, const char *path,
    const struct cfg_directive *d)
{
	const char *sp = strchr(v, ' '), *p;

	for (p = v; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
			break;
	if (*p != '\0' || sp == NULL || sp == v || strchr(sp + 1, ' ') != NULL ||
	    !eidgw_starts_with(sp + 1, "http://eidas.europa.eu/attributes/")) {
		cfg_err(x, line, EIDGW_E_CONFIG_VALUE, "%s%s: '%.80s' must be \"NAME EIDAS-NAME\": the "
		    "name the node sends, one space, an eIDAS attribute name "
		    "(http://eidas.europa.eu/attributes/...)", path, d->name, v);
		return false;
	}
	return true;
}

static bool
check_host(struct cfg_ctx *x, const char *v, int line, const char *path,
    const struct cfg_directive *d)
{
	const char *p;

	for (p = v; *p != '\0'; p++)
		if (!isalnum((unsigned char)*p) && *p != '.' && *p != '-')
			break;
	if (*p != '\0' || p - v > 253) {
		cfg_err(x, line, EIDGW_E_CONFIG_VALUE, "%s%s: '%.60s' is not a host name",
		    path, d->name, v);
		return false;
	}
	return true;
}

/* An https URL (http only to loopback) without fragment: the redirect URI rule. */
static bool
check_url_https(struct cfg_ctx *x, const char *v, int line, const char *path,
    const struct cfg_directive *d)
{
	return check_redirect_uri(x, v, line, path, d);
}

/* ---- custom values ----------------------------------------------------- */

/* Text of a custom scalar, from the node or the default. */
static bool
custom_text(struct cfg_ctx *x, const char *path, const struct cfg_directive *d,
    struct fy_node *n, const char *deftext, int line, char *out, size_t outsz)
{
	const char *s;
	size_t len;

	if (n == NULL) {
		(void)snprintf(out, outsz, "%s", deftext != NULL ? deftext : "");
		return true;
	}
	if (!cfg_scalar(x, path, d, n, line, &s, &len))
		return false;
	if (len >= outsz || memchr(s, '\0', len) != NULL) {
		cfg_err(x, line, EIDGW_E_CONFIG_VALUE, "%s%s: value too long", path, d->name);
		return false;
	}
	memcpy(out, s, len);
	out[len] = '\0';
	return true;
}

/* "127.0.0.1:8080" or "[::1]:8080"; the host is an IP literal. */
static void
parse_listen(struct cfg_ctx *x, const char *path, const struct cfg_directive *d, void *base,
    struct fy_node *n, const char *deftext, int line)
{
	struct gw_server_conf *s = base;
	char text[128], host[64];
	unsigned char a[16];
	const char *colon, *h;
	size_t hlen;
	long port = 0;
	int fam;

	if (!custom_text(x, path, d, n, deftext, line, text, sizeof(text)))
		return;
	if (text[0] == '[') {
		const char *e = strchr(text, ']');

		if (e == NULL || e[1] != ':')
			goto bad;
		h = text + 1;
		hlen = (size_t)(e - h);
		colon = e + 1;
		fam = AF_INET6;
	} else {
		if ((colon = strrchr(text, ':')) == NULL || strchr(text, ':') != colon)
			goto bad;
		h = text;
		hlen = (size_t)(colon - text);
		fam = AF_INET;
	}
	if (hlen == 0 || hlen >= sizeof(host))
		goto bad;
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	if (inet_pton(fam, host, a) != 1)
		goto bad;
	if (colon[1] == '\0' || strlen(colon + 1) > 5)
		goto bad;
	for (h = colon + 1; *h != '\0'; h++) {
		if (!isdigit((unsigned char)*h))
			goto bad;
		port = port * 10 + (*h - '0');
	}
	if (port > 65535)	/* 0: any free port, logged at start-up (tests) */
		goto bad;
	free(s->listen_host);
	if ((s->listen_host = eidgw_strdup(host)) == NULL) {
		x->oom = true;
		return;
	}
	s->listen_port = (uint16_t)port;
	if (n != NULL)
		cfg_line_set(x, &s->listen_host, line);
	return;
bad:
	cfg_err(x, line, EIDGW_E_CONFIG_VALUE,
	    "%s%s: '%s' must be IPv4:port or [IPv6]:port with an IP address and a port 0-65535",
	    path, d->name, text);
}

static void
release_listen(const struct cfg_directive *d, void *base)
{
	struct gw_server_conf *s = base;

	(void)d;
	free(s->listen_host);
	s->listen_host = NULL;
}

/* addr/prefix with no host bits set; a bare address means the one host. */
static bool
cidr_parse(const char *text, struct gw_cidr *c)
{
	char addr[64];
	const char *slash = strchr(text, '/');
	size_t alen = slash != NULL ? (size_t)(slash - text) : strlen(text);
	int maxp, i, p = 0;

	memset(c, 0, sizeof(*c));
	if (alen == 0 || alen >= sizeof(addr))
		return false;
	memcpy(addr, text, alen);
	addr[alen] = '\0';
	if (inet_pton(AF_INET, addr, c->addr) == 1) {
		c->family = AF_INET;
		maxp = 32;
	} else if (inet_pton(AF_INET6, addr, c->addr) == 1) {
		c->family = AF_INET6;
		maxp = 128;
	} else
		return false;
	if (slash == NULL)
		p = maxp;
	else {
		if (slash[1] == '\0' || strlen(slash + 1) > 3)
			return false;
		for (i = 1; slash[i] != '\0'; i++) {
			if (!isdigit((unsigned char)slash[i]))
				return false;
			p = p * 10 + (slash[i] - '0');
		}
		if (p > maxp)
			return false;
	}
	c->prefix = p;
	/* Host bits must be zero: "10.0.0.1/8" is a typo more often than not. */
	for (i = p; i < maxp; i++)
		if (c->addr[i / 8] & (0x80 >> (i % 8)))
			return false;
	return true;
}

/*
 * An IPv6 CIDR that contains all of ::ffff:0:0/96: on a dual-stack listener
 * IPv4 peers arrive IPv4-mapped, so it trusts every IPv4 peer.
 */
static bool
covers_all_ipv4(const struct gw_cidr *c)
{
	static const unsigned char mapped[16] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	int i;

	if (c->family != AF_INET6 || c->prefix > 96)
		return false;
	for (i = 0; i < c->prefix; i++)
		if ((c->addr[i / 8] ^ mapped[i / 8]) & (0x80 >> (i % 8)))
			return false;
	return true;
}

static void
parse_cidrs(struct cfg_ctx *x, const char *path, const struct cfg_directive *d, void *base,
    struct fy_node *n, const char *deftext, int line)
{
	struct gw_server_conf *s = base;
	struct gw_cidr *v = NULL;
	struct fy_node *it;
	void *iter = NULL;
	char text[80];
	size_t cnt, i = 0;
	int l;

	(void)deftext;
	if (n == NULL)
		return;
	if (fy_node_get_type(n) != FYNT_SEQUENCE) {
		cfg_err(x, line, EIDGW_E_CONFIG_TYPE, "%s%s must be a list of CIDRs", path,
		    d->name);
		return;
	}
	cnt = (size_t)fy_node_sequence_item_count(n);
	if (cnt > CFG_MAX_LIST) {
		cfg_err(x, line, EIDGW_E_CONFIG_VALUE, "%s%s has more than %d entries", path,
		    d->name, CFG_MAX_LIST);
		return;
	}
	if (cnt != 0 && (v = calloc(cnt, sizeof(*v))) == NULL) {
		x->oom = true;
		return;
	}
	while ((it = fy_node_sequence_iterate(n, &iter)) != NULL && i < cnt) {
		l = cfg_node_line(it, line);
		if (!custom_text(x, path, d, it, NULL, l, text, sizeof(text)))
			continue;
		if (!cidr_parse(text, &v[i])) {
			cfg_err(x, l, EIDGW_E_CONFIG_VALUE,
			    "%s%s: '%s' is not a CIDR (address/prefix with no host bits set)",
			    path, d->name, text);
			continue;
		}
		if (v[i].prefix == 0 || covers_all_ipv4(&v[i])) {
			/* every peer could then say who the client is and that it used https */
			cfg_err(x, l, EIDGW_E_CONFIG_VALUE,
			    "%s%s: '%s' would believe X-Forwarded-For/-Proto from any peer; "
			    "name the proxies' own addresses", path, d->name, text);
			continue;
		}
		i++;
	}
	free(s->trusted_proxies);
	s->trusted_proxies = v;
	s->n_trusted_proxies = i;
	cfg_line_set(x, &s->trusted_proxies, line);
}

static void
release_cidrs(const struct cfg_directive *d, void *base)
{
	struct gw_server_conf *s = base;

	(void)d;
	free(s->trusted_proxies);
	s->trusted_proxies = NULL;
	s->n_trusted_proxies = 0;
}

static void
parse_country_code(struct cfg_ctx *x, const char *path, const struct cfg_directive *d,
    void *base, struct fy_node *n, const char *deftext, int line)
{
	struct gw_country_conf *c = base;
	char text[8];

	if (!custom_text(x, path, d, n, deftext, line, text, sizeof(text)))
		return;
	if (strlen(text) != 2 || !isupper((unsigned char)text[0]) ||
	    !isupper((unsigned char)text[1])) {
		cfg_err(x, line, EIDGW_E_CONFIG_VALUE,
		    "%s%s: '%s' must be an ISO 3166-1 alpha-2 code in upper case (e.g. BE)",
		    path, d->name, text);
		return;
	}
	memcpy(c->code, text, 3);
	cfg_line_set(x, c->code, line);
}

/*
 * What the walker refuses everywhere else, refused inside plugin_settings
 * too: aliases and anchors (an alias bomb would be handed to the plugin as
 * text, for its own parser to expand), explicit tags, and keys given twice.
 */
static void
check_settings_node(struct cfg_ctx *x, struct fy_node *n, int depth, int line)
{
	struct fy_node_pair *p, *q;
	void *it = NULL, *it2;
	const char *a, *b;
	size_t al, bl, tl = 0;

	if (n == NULL)
		return;
	line = cfg_node_line(n, line);
	if (depth > 32) {
		cfg_err(x, line, EIDGW_E_CONFIG_VALUE, "plugin_settings: nested too deeply");
		return;
	}
	if (fy_node_get_type(n) == FYNT_SCALAR && fy_node_get_style(n) == FYNS_ALIAS) {
		cfg_err(x, line, EIDGW_E_CONFIG_TYPE,
		    "plugin_settings: YAML aliases are not supported");
		return;
	}
	if (fy_node_get_anchor(n) != NULL) {
		cfg_err(x, line, EIDGW_E_CONFIG_TYPE,
		    "plugin_settings: YAML anchors are not supported");
		return;
	}
	if (fy_node_get_tag(n, &tl) != NULL && tl != 0) {
		cfg_err(x, line, EIDGW_E_CONFIG_TYPE, "plugin_settings: YAML tags are not supported");
		return;
	}
	if (fy_node_get_type(n) == FYNT_SEQUENCE) {
		struct fy_node *e;

		while ((e = fy_node_sequence_iterate(n, &it)) != NULL)
			check_settings_node(x, e, depth + 1, line);
		return;
	}
	if (fy_node_get_type(n) != FYNT_MAPPING)
		return;
	while ((p = fy_node_mapping_iterate(n, &it)) != NULL) {
		check_settings_node(x, fy_node_pair_key(p), depth + 1, line);
		check_settings_node(x, fy_node_pair_value(p), depth + 1,
		    cfg_node_line(fy_node_pair_key(p), line));
		if ((a = fy_node_get_scalar(fy_node_pair_key(p), &al)) == NULL)
			continue;
		it2 = NULL;
		while ((q = fy_node_mapping_iterate(n, &it2)) != NULL && q != p) {
			if ((b = fy_node_get_scalar(fy_node_pair_key(q), &bl)) != NULL &&
			    al == bl && memcmp(a, b, al) == 0) {
				cfg_err(x, cfg_node_line(fy_node_pair_key(p), 0),
				    EIDGW_E_CONFIG_DUPLICATE, "duplicate key '%.*s' in plugin_settings",
				    (int)(al > 60 ? 60 : al), a);
				break;
			}
		}
	}
}

static void
parse_plugin_settings(struct cfg_ctx *x, const char *path, const struct cfg_directive *d,
    void *base, struct fy_node *n, const char *deftext, int line)
{
	struct gw_country_conf *c = base;
	size_t n_before;
	char *text;

	(void)deftext;
	if (n == NULL)
		return;
	if (fy_node_get_type(n) != FYNT_MAPPING) {
		cfg_err(x, line, EIDGW_E_CONFIG_TYPE, "%s%s must be a mapping", path, d->name);
		return;
	}
	n_before = x->n_errors;
	check_settings_node(x, n, 0, line);
	if (x->n_errors != n_before)
		return;
	if ((text = fy_emit_node_to_string(n, FYECF_MODE_BLOCK)) == NULL) {
		cfg_err(x, line, EIDGW_E_CONFIG_VALUE, "%s%s cannot be kept as YAML text", path,
		    d->name);
		return;
	}
	free(c->plugin_settings_yaml);
	c->plugin_settings_yaml = text;
	cfg_line_set(x, &c->plugin_settings_yaml, line);
}

static void
release_plugin_settings(const struct cfg_directive *d, void *base)
{
	struct gw_country_conf *c = base;

	(void)d;
	free(c->plugin_settings_yaml);
	c->plugin_settings_yaml = NULL;
}

/* ---- enums ------------------------------------------------------------ */

static const struct cfg_enum loa_enum[] = {
	{ "low", GW_LOA_LOW, false },
	{ "substantial", GW_LOA_SUBSTANTIAL, false },
	{ "high", GW_LOA_HIGH, false },
	{ "http://eidas.europa.eu/LoA/low", GW_LOA_LOW, false },
	{ "http://eidas.europa.eu/LoA/substantial", GW_LOA_SUBSTANTIAL, false },
	{ "http://eidas.europa.eu/LoA/high", GW_LOA_HIGH, false },
	{ NULL, 0, false },
};

static const struct cfg_enum store_enum[] = {
	{ "lmdb", GW_STORE_LMDB, false },
	{ "redis", GW_STORE_REDIS, false },
	{ "memory", GW_STORE_MEMORY, false },
	{ NULL, 0, false },
};

static const struct cfg_enum auth_enum[] = {
	{ "client_secret_basic", GW_AUTH_CLIENT_SECRET_BASIC, false },
	{ "client_secret_post", GW_AUTH_CLIENT_SECRET_POST, false },
	{ "private_key_jwt", GW_AUTH_PRIVATE_KEY_JWT, false },
	{ NULL, 0, false },
};

static const struct cfg_enum status_enum[] = {
	{ "active", GW_KEY_ACTIVE, false },
	{ "next", GW_KEY_NEXT, false },
	{ "retired", GW_KEY_RETIRED, false },
	{ NULL, 0, false },
};

static const struct cfg_enum binding_enum[] = {
	{ "post", GW_BINDING_POST, false },
	{ "redirect", GW_BINDING_REDIRECT, false },
	{ NULL, 0, false },
};

/* syslog numbers */
static const struct cfg_enum level_enum[] = {
	{ "error", 3, false },
	{ "warning", 4, false },
	{ "notice", 5, false },
	{ "info", 6, false },
	{ "debug", 7, false },
	{ NULL, 0, false },
};

static const struct cfg_enum sink_enum[] = {
	{ "stderr", 0, false }, { "journald", 0, false }, { NULL, 0, false },
};

static const struct cfg_enum locale_enum[] = {
	{ "en", 0, false }, { "nl", 0, false }, { "de", 0, false }, { "fr", 0, false },
	{ NULL, 0, false },
};

static const struct cfg_enum saml_sig_enum[] = {
	{ "ecdsa-sha256", 0, false }, { "ecdsa-sha384", 0, false }, { "ecdsa-sha512", 0, false },
	{ "rsa-pss-sha256", 0, false }, { "rsa-pss-sha384", 0, false },
	{ "rsa-pss-sha512", 0, false },
	{ NULL, 0, false },
};

/* Countries may also name PKCS#1 v1.5, and only with allow_rsa_pkcs1. */
static const struct cfg_enum country_sig_enum[] = {
	{ "ecdsa-sha256", 0, false }, { "ecdsa-sha384", 0, false }, { "ecdsa-sha512", 0, false },
	{ "rsa-pss-sha256", 0, false }, { "rsa-pss-sha384", 0, false },
	{ "rsa-pss-sha512", 0, false }, { "rsa-sha256", 0, false }, { "rsa-sha384", 0, false },
	{ "rsa-sha512", 0, false },
	{ NULL, 0, false },
};

/* What oidc/ can sign with (enum oidc_alg): anything else would be silently replaced. */
static const struct cfg_enum jws_alg_enum[] = {
	{ "PS256", 0, false }, { "RS256", 0, false }, { "ES256", 0, false },
	{ NULL, 0, false },
};

/*
 * The scopes oidc/ knows (known_scopes in oidc/provider.c, which refuses
 * any other when the snapshot is built, without a file or line).
 */
static const struct cfg_enum scope_enum[] = {
	{ "openid", 0, false }, { "profile", 0, false }, { "eidas", 0, false },
	{ "address", 0, false }, { "email", 0, false }, { "phone", 0, false },
	{ "eidas_extended", 0, false },
	{ NULL, 0, false },
};

static const struct cfg_enum sp_type_enum[] = {
	{ "public", 0, false }, { "private", 0, false }, { NULL, 0, false },
};

static const struct cfg_enum nameid_enum[] = {
	{ "persistent", 0, false }, { "transient", 0, false }, { "unspecified", 0, false },
	{ NULL, 0, false },
};

/* ---- tables ----------------------------------------------------------- */

#define OFF(st, f)	.off = offsetof(st, f)
#define LIST(st, f, n)	.off = offsetof(st, f), .off_n = offsetof(st, n)
#define RANGE(a, b)	.min = (a), .max = (b)

static const struct cfg_directive server_d[] = {
	{ .name = "listen", .type = D_CUSTOM, OFF(struct gw_server_conf, listen_host),
	  .flags = DF_RESTART, .def = "127.0.0.1:8080", .parse = parse_listen,
	  .release = release_listen, .type_doc = "address:port",
	  .doc = "Address and port to listen on: `IPv4:port` or `[IPv6]:port`, an IP literal (no host names). Port 0 takes any free port (tests; the server logs the one it got)." },
	{ .name = "public_url", .type = D_STR, OFF(struct gw_server_conf, public_url),
	  .flags = DF_REQUIRED, .check = check_public_url,
	  .doc = "The issuer and the base of every published URL: `https://host[:port]` with no path, query or fragment (one trailing `/` is dropped); `http` only for 127.0.0.1, [::1] or localhost." },
	{ .name = "threads", .type = D_UINT, OFF(struct gw_server_conf, threads),
	  .flags = DF_RESTART, .def = "0", RANGE(0, 256),
	  .doc = "HTTP worker threads; 0 means one per CPU core." },
	{ .name = "max_body_bytes", .type = D_SIZE, OFF(struct gw_server_conf, max_body_bytes),
	  .def = "1048576", RANGE(4096, 67108864),
	  .doc = "Largest request body accepted. Must be at least `limits.max_saml_response_bytes` * 4/3 + 4096 (a base64 SAMLResponse in a form)." },
	{ .name = "max_header_bytes", .type = D_SIZE, OFF(struct gw_server_conf, max_header_bytes),
	  .flags = DF_RESTART, .def = "16384", RANGE(1024, 1048576),
	  .doc = "Largest request header block accepted." },
	{ .name = "request_timeout_s", .type = D_UINT, OFF(struct gw_server_conf, request_timeout_s),
	  .flags = DF_RESTART, .def = "30", RANGE(1, 600),
	  .doc = "Seconds a connection may stay idle or take to send its request." },
	{ .name = "max_connections", .type = D_UINT, OFF(struct gw_server_conf, max_connections),
	  .flags = DF_RESTART, .def = "1024", RANGE(1, 100000),
	  .doc = "Concurrent connections." },
	{ .name = "trusted_proxies", .type = D_CUSTOM, OFF(struct gw_server_conf, trusted_proxies),
	  .parse = parse_cidrs, .release = release_cidrs, .def_doc = "empty",
	  .type_doc = "list of CIDRs",
	  .doc = "Peers whose `X-Forwarded-For` / `X-Forwarded-Proto` are believed: `addr/prefix` with no host bits set (a bare address is one host); a /0 (every peer) and an IPv6 range that holds all of `::ffff:0:0/96` (every IPv4 peer on a dual-stack listener) are refused. Empty: the headers are ignored." },
	{ .name = "shutdown_grace_s", .type = D_UINT, OFF(struct gw_server_conf, shutdown_grace_s),
	  .def = "10", RANGE(0, 300),
	  .doc = "Seconds in-flight requests get to finish after SIGTERM." },
};

static const struct cfg_section server_section = {
	"server", 0, server_d, EIDGW_ARRAY_LEN(server_d), NULL, NULL,
};

static void
keypair_cleanup(void *base)
{
	struct gw_keypair_conf *k = base;

	eidgw_key_free(k->key);
	k->key = NULL;
}

static const struct cfg_directive saml_signing_d[] = {
	{ .name = "key", .type = D_PATH, OFF(struct gw_keypair_conf, key_file),
	  .flags = DF_REQUIRED, .type_doc = "path",
	  .doc = "PEM private key (EC P-256 or larger, or RSA of at least `keys.min_rsa_bits`)." },
	{ .name = "cert", .type = D_PATH, OFF(struct gw_keypair_conf, cert_file),
	  .flags = DF_REQUIRED, .type_doc = "path",
	  .doc = "PEM certificate of that key, published in the SP metadata; must match the key." },
};

static const struct cfg_section saml_signing_section = {
	"keys.saml_signing", sizeof(struct gw_keypair_conf), saml_signing_d,
	EIDGW_ARRAY_LEN(saml_signing_d), NULL, keypair_cleanup,
};

static const struct cfg_directive saml_encryption_d[] = {
	{ .name = "key", .type = D_PATH, OFF(struct gw_keypair_conf, key_file),
	  .flags = DF_REQUIRED, .type_doc = "path",
	  .doc = "PEM private key that decrypts assertions: RSA (RSA-OAEP key transport) or EC (ECDH-ES)." },
	{ .name = "cert", .type = D_PATH, OFF(struct gw_keypair_conf, cert_file),
	  .flags = DF_REQUIRED, .type_doc = "path",
	  .doc = "Its certificate (published in the SP metadata); must match the key." },
};

static const struct cfg_section saml_encryption_section = {
	"keys.saml_encryption", sizeof(struct gw_keypair_conf), saml_encryption_d,
	EIDGW_ARRAY_LEN(saml_encryption_d), NULL, keypair_cleanup,
};

static void
oidc_key_cleanup(void *base)
{
	struct gw_oidc_key_conf *k = base;

	eidgw_key_free(k->key);
	k->key = NULL;
}

static const struct cfg_directive oidc_key_d[] = {
	{ .name = "kid", .type = D_STR, OFF(struct gw_oidc_key_conf, kid),
	  .flags = DF_REQUIRED, .check = check_ident,
	  .doc = "Key id published in the JWKS and the JWS header; unique." },
	{ .name = "alg", .type = D_STR, OFF(struct gw_oidc_key_conf, alg),
	  .flags = DF_REQUIRED, .enums = jws_alg_enum,
	  .doc = "JWS algorithm; PS256/RS256 need an RSA key, ES256 a P-256 key." },
	{ .name = "key", .type = D_PATH, OFF(struct gw_oidc_key_conf, key_file),
	  .flags = DF_REQUIRED, .type_doc = "path",
	  .doc = "PEM private key." },
	{ .name = "cert", .type = D_PATH, OFF(struct gw_oidc_key_conf, cert_file),
	  .type_doc = "path",
	  .doc = "Optional PEM certificate of the key (published as `x5c`); must match the key." },
	{ .name = "status", .type = D_ENUM, OFF(struct gw_oidc_key_conf, status),
	  .def = "active", .enums = status_enum,
	  .doc = "`active` signs (exactly one active key per `alg`), `next` is published ahead of a rollover, `retired` stays published until its tokens expire." },
};

static const struct cfg_section oidc_key_section = {
	"keys.oidc", sizeof(struct gw_oidc_key_conf), oidc_key_d, EIDGW_ARRAY_LEN(oidc_key_d),
	NULL, oidc_key_cleanup,
};

static const struct cfg_directive keys_d[] = {
	{ .name = "saml_signing", .type = D_SECTION, OFF(struct gw_config, saml_signing),
	  .flags = DF_REQUIRED, .sub = &saml_signing_section,
	  .doc = "The key that signs AuthnRequests and the SP metadata." },
	{ .name = "saml_encryption", .type = D_OBJLIST,
	  LIST(struct gw_config, saml_encryption, n_saml_encryption),
	  .flags = DF_REQUIRED, .sub = &saml_encryption_section,
	  .doc = "Keys that decrypt assertions; several during a rollover (all are published)." },
	{ .name = "saml_signature_alg", .type = D_STR, OFF(struct gw_config, saml_signature_alg),
	  .enums = saml_sig_enum, .def_doc = "`ecdsa-sha256` for an EC key, `rsa-pss-sha256` for RSA",
	  .doc = "Signature algorithm of AuthnRequests and metadata; must fit the signing key." },
	{ .name = "oidc", .type = D_OBJLIST, LIST(struct gw_config, oidc_keys, n_oidc_keys),
	  .flags = DF_REQUIRED, .sub = &oidc_key_section,
	  .doc = "ID-token signing keys." },
	{ .name = "pairwise_key", .type = D_PATH, OFF(struct gw_config, pairwise_key_file),
	  .flags = DF_REQUIRED, .type_doc = "path",
	  .doc = "File holding at least 32 random bytes in base64 (e.g. `openssl rand -base64 32`): the key of the pairwise `sub` hash. Exactly 32 bytes are used as they are; more are hashed with SHA-256. Changing it changes every `sub`." },
	{ .name = "min_rsa_bits", .type = D_UINT, OFF(struct gw_config, min_rsa_bits),
	  .def = "3072", RANGE(2048, 16384),
	  .doc = "Smallest RSA key accepted for every key in this file (SAML, OIDC, audit)." },
};

static const struct cfg_section keys_section = {
	"keys", 0, keys_d, EIDGW_ARRAY_LEN(keys_d), NULL, NULL,
};

static void
store_validate(struct cfg_ctx *x, void *base, int line)
{
	struct gw_store_conf *s = base;
	int l = cfg_line(x, &s->backend, line);

	if (s->backend == GW_STORE_LMDB && s->path == NULL)
		cfg_err(x, l, EIDGW_E_CONFIG_MISSING, "store.path is required for backend lmdb");
	if (s->backend == GW_STORE_REDIS && s->redis_url == NULL)
		cfg_err(x, l, EIDGW_E_CONFIG_MISSING, "store.redis_url is required for backend redis");
}

static const struct cfg_directive store_d[] = {
	{ .name = "backend", .type = D_ENUM, OFF(struct gw_store_conf, backend),
	  .flags = DF_RESTART, .def = "lmdb", .enums = store_enum,
	  .doc = "`lmdb` (embedded, survives restarts, one node), `redis` (shared by several nodes), `memory` (tests only: lost on restart)." },
	{ .name = "path", .type = D_PATH, OFF(struct gw_store_conf, path),
	  .flags = DF_RESTART, .type_doc = "path",
	  .doc = "LMDB directory (created at start if missing); required for `lmdb`." },
	{ .name = "lmdb_map_size", .type = D_SIZE, OFF(struct gw_store_conf, lmdb_map_size),
	  .flags = DF_RESTART, .def = "268435456", RANGE(1048576, 1099511627776ULL),
	  .doc = "LMDB map size in bytes (the most the store can hold)." },
	{ .name = "redis_url", .type = D_STR, OFF(struct gw_store_conf, redis_url),
	  .flags = DF_RESTART | DF_SECRET, .check = check_redis_url,
	  .doc = "`redis://[[user]:password@]host[:port][/db]` (port 6379 and db 0 by default; host a name, IPv4 or `[IPv6]`; user and password percent-encoded, sent with `AUTH`, `user` needs Redis 6 ACLs); required for `redis`. May hold a password: wiped on free, never echoed in errors. `rediss://` (TLS) passes the loader but the store refuses it at start: this build's hiredis 0.14 has no TLS. Needs Redis >= 6.2 (`GETDEL`)." },
	{ .name = "redis_timeout_ms", .type = D_UINT, OFF(struct gw_store_conf, redis_timeout_ms),
	  .def = "500", RANGE(10, 60000), .flags = DF_RESTART,
	  .doc = "Connect and command timeout; when it passes the request fails closed. Host name lookup is not bounded by it." },
	{ .name = "key_prefix", .type = D_STR, OFF(struct gw_store_conf, key_prefix),
	  .flags = DF_RESTART, .def = "eidgw:",
	  .doc = "Prefix of every store key (several gateways can share one Redis)." },
};

static const struct cfg_section store_section = {
	"store", 0, store_d, EIDGW_ARRAY_LEN(store_d), store_validate, NULL,
};

static void
audit_validate(struct cfg_ctx *x, void *base, int line)
{
	struct gw_audit_conf *a = base;
	int l = cfg_line(x, &a->enabled, line);

	if (!a->enabled)
		return;
	if (a->path == NULL)
		cfg_err(x, l, EIDGW_E_CONFIG_MISSING, "audit.path is required when audit is enabled");
	if (a->signing_key_file == NULL)
		cfg_err(x, l, EIDGW_E_CONFIG_MISSING,
		    "audit.signing_key is required when audit is enabled");
}

static void
audit_cleanup(void *base)
{
	struct gw_audit_conf *a = base;

	eidgw_key_free(a->signing_key);
	a->signing_key = NULL;
	if (a->hmac_key != NULL) {
		eidgw_wipe(a->hmac_key, a->hmac_key_len);
		free(a->hmac_key);
	}
	a->hmac_key = NULL;
	a->hmac_key_len = 0;
}

static const struct cfg_directive audit_d[] = {
	{ .name = "enabled", .type = D_BOOL, OFF(struct gw_audit_conf, enabled),
	  .flags = DF_RESTART, .def = "true",
	  .doc = "Write the audit log. Turning it off is for tests." },
	{ .name = "path", .type = D_PATH, OFF(struct gw_audit_conf, path),
	  .flags = DF_RESTART, .type_doc = "path",
	  .doc = "Audit log directory; required when enabled." },
	{ .name = "signing_key", .type = D_PATH, OFF(struct gw_audit_conf, signing_key_file),
	  .flags = DF_RESTART, .type_doc = "path",
	  .doc = "PEM private key that signs checkpoints (Ed25519 recommended; EC or RSA accepted); required when enabled." },
	{ .name = "hmac_key", .type = D_PATH, OFF(struct gw_audit_conf, hmac_key_file),
	  .flags = DF_RESTART, .type_doc = "path",
	  .doc = "Optional file with at least 32 random bytes in base64: the HMAC key with which personal data (e.g. the PersonIdentifier) enters records only as a keyed hash; an auditor holding it can match a citizen, nobody else can. Keep it apart from the signing key." },
	{ .name = "checkpoint_every", .type = D_UINT, OFF(struct gw_audit_conf, checkpoint_every),
	  .def = "1000", RANGE(1, 1000000),
	  .doc = "Sign a checkpoint after this many records..." },
	{ .name = "checkpoint_interval_s", .type = D_UINT,
	  OFF(struct gw_audit_conf, checkpoint_interval_s), .def = "60", RANGE(1, 86400),
	  .doc = "...or after this many seconds, whichever comes first." },
};

static const struct cfg_section audit_section = {
	"audit", 0, audit_d, EIDGW_ARRAY_LEN(audit_d), audit_validate, audit_cleanup,
};

static const struct cfg_directive log_d[] = {
	{ .name = "level", .type = D_ENUM, OFF(struct gw_log_conf, level), .def = "info",
	  .enums = level_enum, .doc = "Lowest level written." },
	{ .name = "sink", .type = D_STR, OFF(struct gw_log_conf, sink),
	  .def = "stderr", .enums = sink_enum,
	  .doc = "`stderr` (one JSON object per line) or `journald`." },
};

static const struct cfg_section log_section = {
	"log", 0, log_d, EIDGW_ARRAY_LEN(log_d), NULL, NULL,
};

static const struct cfg_directive limits_d[] = {
	{ .name = "login_ttl_s", .type = D_UINT, OFF(struct gw_limits_conf, login_ttl_s),
	  .def = "600", RANGE(60, 3600),
	  .doc = "Lifetime of a login transaction (selector, national login, return)." },
	{ .name = "code_ttl_s", .type = D_UINT, OFF(struct gw_limits_conf, code_ttl_s),
	  .def = "60", RANGE(1, 60), .doc = "Lifetime of an authorization code (at most 60 s)." },
	{ .name = "par_ttl_s", .type = D_UINT, OFF(struct gw_limits_conf, par_ttl_s),
	  .def = "60", RANGE(10, 599), .doc = "Lifetime of a PAR `request_uri` (under 600 s)." },
	{ .name = "access_token_ttl_s", .type = D_UINT,
	  OFF(struct gw_limits_conf, access_token_ttl_s), .def = "300", RANGE(60, 86400),
	  .doc = "Access token lifetime, unless a client sets its own." },
	{ .name = "id_token_ttl_s", .type = D_UINT, OFF(struct gw_limits_conf, id_token_ttl_s),
	  .def = "300", RANGE(60, 86400), .doc = "ID token lifetime, unless a client sets its own." },
	{ .name = "clock_skew_s", .type = D_UINT, OFF(struct gw_limits_conf, clock_skew_s),
	  .def = "60", RANGE(0, 300),
	  .doc = "Tolerance for the SAML time checks (IssueInstant, NotBefore/NotOnOrAfter, SubjectConfirmationData). Client assertions (`private_key_jwt`) use oidc/'s own fixed 10 s." },
	{ .name = "max_saml_response_bytes", .type = D_SIZE,
	  OFF(struct gw_limits_conf, max_saml_response_bytes), .def = "262144",
	  RANGE(4096, 16777216), .doc = "Largest decoded SAMLResponse accepted." },
};

static const struct cfg_section limits_section = {
	"limits", 0, limits_d, EIDGW_ARRAY_LEN(limits_d), NULL, NULL,
};

static void gateway_validate(struct cfg_ctx *x, void *base, int line);

static const struct cfg_directive gateway_d[] = {
	{ .name = "server", .type = D_SECTION, OFF(struct gw_config, server),
	  .flags = DF_REQUIRED, .sub = &server_section, .doc = "HTTP server." },
	{ .name = "keys", .type = D_SECTION, .off = 0, .flags = DF_REQUIRED,
	  .sub = &keys_section, .doc = "Key files." },
	{ .name = "store", .type = D_SECTION, OFF(struct gw_config, store),
	  .sub = &store_section, .doc = "State store." },
	{ .name = "audit", .type = D_SECTION, OFF(struct gw_config, audit),
	  .sub = &audit_section, .doc = "Audit log." },
	{ .name = "log", .type = D_SECTION, OFF(struct gw_config, log),
	  .sub = &log_section, .doc = "Logging." },
	{ .name = "limits", .type = D_SECTION, OFF(struct gw_config, limits),
	  .sub = &limits_section, .doc = "Lifetimes and sizes." },
	{ .name = "clients_dir", .type = D_PATH, OFF(struct gw_config, clients_dir),
	  .def = "clients", .type_doc = "path",
	  .doc = "Directory of client files (`*.yaml`, read in byte order of their names)." },
	{ .name = "countries_dir", .type = D_PATH, OFF(struct gw_config, countries_dir),
	  .def = "countries", .type_doc = "path",
	  .doc = "Directory of country files (`XX.yaml`)." },
	{ .name = "plugins_dir", .type = D_PATH, OFF(struct gw_config, plugins_dir),
	  .flags = DF_RESTART, .type_doc = "path",
	  .doc = "Directory of connector plugins (`<connector>.so`); required when an enabled country uses a connector other than `eidas-saml`." },
	{ .name = "default_locale", .type = D_STR, OFF(struct gw_config, default_locale),
	  .def = "en", .enums = locale_enum,
	  .doc = "Language of pages when neither `ui_locales` nor Accept-Language picks one." },
	{ .name = "node_country", .type = D_STR, OFF(struct gw_config, node_country),
	  .def = "EU", .check = check_alpha2,
	  .doc = "The country operating this gateway (ISO 3166-1 alpha-2; `EL` for Greece), published as eIDAS NodeCountry in the SP metadata. Set it to your member state." },
};

const struct cfg_section cfg_gateway_section = {
	"", 0, gateway_d, EIDGW_ARRAY_LEN(gateway_d), gateway_validate, NULL,
};

/* ---- clients ---------------------------------------------------------- */

static void client_validate(struct cfg_ctx *x, void *base, int line);

static const struct cfg_directive client_d[] = {
	{ .name = "client_id", .type = D_STR, OFF(struct gw_client_conf, client_id),
	  .flags = DF_REQUIRED, .check = check_ident,
	  .doc = "The OAuth `client_id`; unique across all client files." },
	{ .name = "client_name", .type = D_STR, OFF(struct gw_client_conf, client_name),
	  .def_doc = "the client_id", .doc = "Name shown to citizens on the selector page." },
	{ .name = "redirect_uris", .type = D_STRLIST,
	  LIST(struct gw_client_conf, redirect_uris, n_redirect_uris), .flags = DF_REQUIRED,
	  .check = check_redirect_uri,
	  .doc = "Exact redirect URIs: absolute `https` (`http` only to 127.0.0.1, [::1] or localhost), no fragment. Compared byte for byte." },
	{ .name = "token_endpoint_auth_method", .type = D_ENUM,
	  OFF(struct gw_client_conf, auth_method), .def = "client_secret_basic", .enums = auth_enum,
	  .doc = "How the client authenticates at the token and PAR endpoints." },
	{ .name = "client_secret", .type = D_STR, OFF(struct gw_client_conf, client_secret),
	  .flags = DF_SECRET,
	  .doc = "Shared secret (at least 32 characters) for the `client_secret_*` methods; give this or `client_secret_file`." },
	{ .name = "client_secret_file", .type = D_PATH,
	  OFF(struct gw_client_conf, client_secret_file), .type_doc = "path",
	  .doc = "File holding the secret on its first line (kept out of the YAML)." },
	{ .name = "jwks_file", .type = D_PATH, OFF(struct gw_client_conf, jwks_file),
	  .type_doc = "path",
	  .doc = "`private_key_jwt`: the client's public JWKS as a file (public keys only); give this or `jwks_uri`." },
	{ .name = "jwks_uri", .type = D_STR, OFF(struct gw_client_conf, jwks_uri),
	  .check = check_url_https, .doc = "`private_key_jwt`: URL of the client's JWKS (https; http only to loopback). Fetched whenever a configuration snapshot is built (start, `SIGHUP`); when it cannot be fetched the last good copy stays in use, and a client whose keys were never fetched has its assertions refused until a reload finds them." },
	{ .name = "scopes", .type = D_STRLIST, LIST(struct gw_client_conf, scopes, n_scopes),
	  .def = "openid", .enums = scope_enum,
	  .doc = "Scopes the client may request; must include `openid`." },
	{ .name = "sector_identifier", .type = D_STR,
	  OFF(struct gw_client_conf, sector_identifier), .check = check_host,
	  .def_doc = "the host of the redirect URIs",
	  .doc = "Pairwise `sub` sector (a host name). Clients with the same sector see the same `sub`. Required when the redirect URIs have different hosts." },
	{ .name = "id_token_signed_response_alg", .type = D_STR,
	  OFF(struct gw_client_conf, id_token_alg), .def = "PS256", .enums = jws_alg_enum,
	  .doc = "ID-token signature algorithm; an `active` key with this `alg` must exist in `keys.oidc`." },
	{ .name = "token_endpoint_auth_signing_alg", .type = D_STR,
	  OFF(struct gw_client_conf, assertion_alg), .enums = jws_alg_enum,
	  .def_doc = "any of PS256, ES256, RS256",
	  .doc = "`private_key_jwt`: the one JWS algorithm accepted for this client's assertions (RFC 7591 metadata of the same name). Set PS256 or ES256 for a FAPI 2.0 client, which must not use RS256; such a client's assertions must then carry the issuer as a string in `aud` (FAPI 2.0 5.3.2.1: endpoint URLs and arrays are refused)." },
	{ .name = "require_par", .type = D_BOOL, OFF(struct gw_client_conf, require_par),
	  .def = "false", .doc = "Refuse authorization requests that did not come through PAR." },
	{ .name = "dpop_bound_access_tokens", .type = D_BOOL,
	  OFF(struct gw_client_conf, dpop_bound_access_tokens), .def = "false",
	  .doc = "Require a DPoP proof (RFC 9449) on every token request of this client, so all its access tokens are DPoP-bound; without it a proof is optional." },
	{ .name = "min_acr", .type = D_ENUM, OFF(struct gw_client_conf, min_loa),
	  .def = "low", .enums = loa_enum,
	  .doc = "Lowest eIDAS LoA ever issued to this client (short name or the LoA URI)." },
	{ .name = "default_acr", .type = D_ENUM, OFF(struct gw_client_conf, default_loa),
	  .enums = loa_enum, .def_doc = "the higher of min_acr and substantial",
	  .doc = "LoA requested when the client sends no `acr_values`; not below `min_acr`." },
	{ .name = "sp_type", .type = D_STR, OFF(struct gw_client_conf, sp_type),
	  .def = "public", .enums = sp_type_enum,
	  .doc = "eIDAS SPType sent for this client's logins." },
	{ .name = "requester_id", .type = D_STR, OFF(struct gw_client_conf, requester_id),
	  .check = check_uri, .def_doc = "`<public_url>/rp/<client_id>`",
	  .doc = "eIDAS RequesterID (an absolute URI) sent for this client." },
	{ .name = "access_token_ttl_s", .type = D_UINT,
	  OFF(struct gw_client_conf, access_token_ttl_s), .def = "0", RANGE(0, 86400),
	  .doc = "Access token lifetime; 0 uses `limits.access_token_ttl_s`." },
	{ .name = "id_token_ttl_s", .type = D_UINT, OFF(struct gw_client_conf, id_token_ttl_s),
	  .def = "0", RANGE(0, 86400), .doc = "ID token lifetime; 0 uses `limits.id_token_ttl_s`." },
};

const struct cfg_section cfg_client_section = {
	"client", sizeof(struct gw_client_conf), client_d, EIDGW_ARRAY_LEN(client_d),
	client_validate, NULL,
};

/* ---- countries -------------------------------------------------------- */

static void country_validate(struct cfg_ctx *x, void *base, int line);

static void
country_saml_cleanup(void *base)
{
	struct gw_country_saml_conf *s = base;

	size_t i;

	for (i = 0; i < s->n_metadata_signers; i++) {
		X509_free(s->metadata_signers[i]);
		s->metadata_signers[i] = NULL;
	}
	s->n_metadata_signers = 0;
}

static const struct cfg_directive country_saml_d[] = {
	{ .name = "metadata_url", .type = D_STR, OFF(struct gw_country_saml_conf, metadata_url),
	  .check = check_url_https,
	  .doc = "Where the IdP / eIDAS proxy publishes its metadata (https; the server certificate is checked against the system trust store; redirects are not followed, at most 1 MiB); give this or `metadata_file`." },
	{ .name = "metadata_file", .type = D_PATH,
	  OFF(struct gw_country_saml_conf, metadata_file), .type_doc = "path",
	  .doc = "Local metadata file; give this or `metadata_url`." },
	{ .name = "metadata_signing_cert", .type = D_PATH,
	  OFF(struct gw_country_saml_conf, metadata_signing_cert), .type_doc = "path",
	  .doc = "PEM certificate that must have signed the metadata (several in one file, at most 4, for a signer rollover: any of them may have signed it); required with `metadata_url`. The loader accepts a `metadata_file` without it, but the country then stays unavailable (logged as `country.unavailable`): eidgw trusts IdP keys only from metadata whose signature it verified." },
	{ .name = "metadata_cache_file", .type = D_PATH,
	  OFF(struct gw_country_saml_conf, metadata_cache_file), .type_doc = "path",
	  .doc = "Where the last good verified metadata from `metadata_url` is kept; snapshots read it from there, so it serves while the source is down. Required with `metadata_url`. Written atomically, only after the new document verified." },
	{ .name = "metadata_refresh_s", .type = D_UINT,
	  OFF(struct gw_country_saml_conf, metadata_refresh_s), .def = "3600",
	  RANGE(60, 604800),
	  .doc = "Refresh interval of `metadata_url`; a document's `cacheDuration`, or half the time left to its `validUntil`, shortens it (never below 60 s); after a failed fetch: at most 300 s. `SIGHUP` also re-fetches at once, and a reload that changes the URL, the cache file, `idp_entity_id` or the signing certificate fetches from the new source within a second. When the copy in service (from a URL or a file) passes its `validUntil`, the configuration is reloaded by itself and the country turns unavailable until valid metadata is in place." },
	{ .name = "idp_entity_id", .type = D_STR, OFF(struct gw_country_saml_conf, idp_entity_id),
	  .check = check_uri, .def_doc = "the entityID of the metadata",
	  .doc = "Expected Issuer of Responses." },
	{ .name = "requested_attributes", .type = D_STRLIST,
	  LIST(struct gw_country_saml_conf, requested_attributes, n_requested_attributes),
	  .def = "http://eidas.europa.eu/attributes/naturalperson/PersonIdentifier "
	      "http://eidas.europa.eu/attributes/naturalperson/CurrentFamilyName "
	      "http://eidas.europa.eu/attributes/naturalperson/CurrentGivenName "
	      "http://eidas.europa.eu/attributes/naturalperson/DateOfBirth",
	  .def_doc = "the four mandatory natural-person attributes",
	  .check = check_uri, .doc = "eIDAS attribute names (URIs) requested." },
	{ .name = "binding", .type = D_ENUM, OFF(struct gw_country_saml_conf, binding),
	  .def = "post", .enums = binding_enum,
	  .doc = "How the AuthnRequest travels: HTTP-POST or standard HTTP-Redirect." },
	{ .name = "signature_alg", .type = D_STR, OFF(struct gw_country_saml_conf, signature_alg),
	  .enums = country_sig_enum, .def_doc = "`keys.saml_signature_alg`",
	  .doc = "AuthnRequest signature algorithm for this country; `rsa-sha*` (PKCS#1 v1.5) needs `allow_rsa_pkcs1`." },
	{ .name = "require_encryption", .type = D_BOOL,
	  OFF(struct gw_country_saml_conf, require_encryption), .def = "true",
	  .doc = "Refuse plaintext assertions." },
	{ .name = "require_assertion_signature", .type = D_BOOL,
	  OFF(struct gw_country_saml_conf, require_assertion_signature), .def = "false",
	  .doc = "Require a signature on the assertion itself (besides the Response)." },
	{ .name = "allow_rsa_pkcs1", .type = D_BOOL,
	  OFF(struct gw_country_saml_conf, allow_rsa_pkcs1), .def = "false",
	  .doc = "Accept and use RSA PKCS#1 v1.5 signatures (national non-eIDAS schemes only)." },
	{ .name = "allow_rsa_oaep_mgf1p", .type = D_BOOL,
	  OFF(struct gw_country_saml_conf, allow_rsa_oaep_mgf1p), .def = "false",
	  .doc = "Accept `rsa-oaep-mgf1p` key transport (SHA-1 MGF)." },
	{ .name = "nameid_format", .type = D_STR, OFF(struct gw_country_saml_conf, nameid_format),
	  .def = "persistent", .enums = nameid_enum,
	  .doc = "NameIDPolicy Format; kept as the full URN (`urn:oasis:names:tc:SAML:2.0:nameid-format:persistent`, `...:transient`, `urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified`)." },
	{ .name = "omit_scoping", .type = D_BOOL, OFF(struct gw_country_saml_conf, omit_scoping),
	  .def = "false", .doc = "Leave out the Scoping element (quirk)." },
	{ .name = "omit_protocol_binding", .type = D_BOOL,
	  OFF(struct gw_country_saml_conf, omit_protocol_binding), .def = "false",
	  .doc = "Leave out the ProtocolBinding attribute (quirk)." },
	{ .name = "attribute_aliases", .type = D_STRLIST,
	  LIST(struct gw_country_saml_conf, attribute_aliases, n_attribute_aliases),
	  .check = check_alias,
	  .doc = "Attribute name variants of this node (quirk): each entry is `NAME EIDAS-NAME`, the Name the node sends, one space, and the eIDAS attribute Name it stands for; applied to the Response after its signatures verified." },
};

static const struct cfg_section country_saml_section = {
	"country.saml", 0, country_saml_d, EIDGW_ARRAY_LEN(country_saml_d), NULL,
	country_saml_cleanup,
};

static const struct cfg_directive country_d[] = {
	{ .name = "country", .type = D_CUSTOM, OFF(struct gw_country_conf, code),
	  .flags = DF_REQUIRED, .parse = parse_country_code, .type_doc = "country code",
	  .doc = "ISO 3166-1 alpha-2 code in upper case; must equal the file name (`BE` in `BE.yaml`)." },
	{ .name = "name", .type = D_STR, OFF(struct gw_country_conf, name_en),
	  .flags = DF_REQUIRED, .doc = "Name in English." },
	{ .name = "local_name", .type = D_STR, OFF(struct gw_country_conf, name_local),
	  .doc = "Name in the country's own language(s), shown beside the English one." },
	{ .name = "enabled", .type = D_BOOL, OFF(struct gw_country_conf, enabled),
	  .def = "true",
	  .doc = "A disabled country is checked for syntax and values, but its files (metadata, certificates) need not exist; it is not offered." },
	{ .name = "connector", .type = D_STR, OFF(struct gw_country_conf, connector),
	  .def = "eidas-saml", .check = check_ident,
	  .doc = "`eidas-saml` (built in) or the name of a plugin in `plugins_dir`." },
	{ .name = "max_loa", .type = D_ENUM, OFF(struct gw_country_conf, max_loa),
	  .flags = DF_REQUIRED, .enums = loa_enum,
	  .doc = "Highest LoA the scheme can assert; requests above it grey the country out, and a Response or connector asserting more is refused (`EIDGW_E_LOA_ABOVE_COUNTRY`)." },
	{ .name = "saml", .type = D_SECTION, OFF(struct gw_country_conf, saml),
	  .sub = &country_saml_section,
	  .doc = "Settings of the `eidas-saml` connector; required for it, refused for others." },
	{ .name = "plugin_settings", .type = D_CUSTOM,
	  OFF(struct gw_country_conf, plugin_settings_yaml), .parse = parse_plugin_settings,
	  .release = release_plugin_settings, .type_doc = "mapping",
	  .doc = "Free-form settings handed to a plugin connector as YAML text." },
};

const struct cfg_section cfg_country_section = {
	"country", sizeof(struct gw_country_conf), country_d, EIDGW_ARRAY_LEN(country_d),
	country_validate, NULL,
};

/* parse_section keeps a "seen" flag per directive in a fixed array. */
_Static_assert(EIDGW_ARRAY_LEN(server_d) <= CFG_MAX_DIRECTIVES, "server_d too long");
_Static_assert(EIDGW_ARRAY_LEN(keys_d) <= CFG_MAX_DIRECTIVES, "keys_d too long");
_Static_assert(EIDGW_ARRAY_LEN(oidc_key_d) <= CFG_MAX_DIRECTIVES, "oidc_key_d too long");
_Static_assert(EIDGW_ARRAY_LEN(store_d) <= CFG_MAX_DIRECTIVES, "store_d too long");
_Static_assert(EIDGW_ARRAY_LEN(audit_d) <= CFG_MAX_DIRECTIVES, "audit_d too long");
_Static_assert(EIDGW_ARRAY_LEN(limits_d) <= CFG_MAX_DIRECTIVES, "limits_d too long");
_Static_assert(EIDGW_ARRAY_LEN(gateway_d) <= CFG_MAX_DIRECTIVES, "gateway_d too long");
_Static_assert(EIDGW_ARRAY_LEN(client_d) <= CFG_MAX_DIRECTIVES, "client_d too long");
_Static_assert(EIDGW_ARRAY_LEN(country_d) <= CFG_MAX_DIRECTIVES, "country_d too long");
_Static_assert(EIDGW_ARRAY_LEN(country_saml_d) <= CFG_MAX_DIRECTIVES, "country_saml_d too long");

/* ---- section checks ---------------------------------------------------- */

/*
 * Private keys and secret files must not be readable or writable by
 * "others" (like OpenSSH with its private keys); group access is left to
 * the operator (e.g. root:eidgw 0640).
 */
static bool
secret_mode_ok(struct cfg_ctx *x, const char *path, int line, const char *what)
{
	struct stat st;

	if (stat(path, &st) != 0 || (st.st_mode & (S_IROTH | S_IWOTH)) == 0)
		return true;
	cfg_err(x, line, EIDGW_E_CONFIG_FILE,
	    "%s: %s is accessible by others (mode %04o): chmod o-rwx it", what, path,
	    (unsigned int)(st.st_mode & 07777));
	return false;
}

/*
 * Reads a base64 secret file: at least min bytes once decoded.  Returns the
 * bytes (caller wipes) or NULL after reporting.
 */
static unsigned char *
read_b64_secret(struct cfg_ctx *x, const char *path, int line, const char *what, size_t min,
    size_t *lenp)
{
	struct eidgw_buf b;
	unsigned char *r = NULL;
	char *text = NULL;
	size_t len = 0;
	int e;

	*lenp = 0;
	eidgw_buf_init(&b, 4096);
	if (!secret_mode_ok(x, path, line, what))
		goto out;
	if ((e = cfg_read_file(path, 8192, &text, &len)) != 0) {
		cfg_err(x, line, EIDGW_E_CONFIG_FILE, "%s: %s: %s", what, path,
		    cfg_read_strerror(e));
		goto out;
	}
	if (eidgw_b64_decode(&b, text, len, false) != EIDGW_OK || b.len < min) {
		cfg_err(x, line, EIDGW_E_CONFIG_VALUE,
		    "%s: %s must hold at least %zu bytes in base64", what, path, min);
		goto out;
	}
	if ((r = malloc(b.len)) == NULL) {
		x->oom = true;
		goto out;
	}
	memcpy(r, b.data, b.len);
	*lenp = b.len;
out:
	if (text != NULL) {
		eidgw_wipe(text, len);
		free(text);
	}
	eidgw_buf_free(&b);
	return r;
}

/* A regular file that exists and that not anybody may write to. */
static bool
file_present(struct cfg_ctx *x, const char *path, int line, const char *what)
{
	if (cfg_file_exists(path))
		return cfg_not_world_writable(x, x->file, line, path, what);
	cfg_err(x, line, EIDGW_E_CONFIG_FILE, "%s: %s: %s", what, path,
	    access(path, F_OK) == 0 ? "not a regular file" : "no such file");
	return false;
}

/* Loads a PEM key (and certificate); false after reporting. */
static bool
load_key(struct cfg_ctx *x, const char *key_file, const char *cert_file, int kline, int cline,
    const char *what, struct eidgw_key **out)
{
	struct eidgw_diag d;
	enum eidgw_err rc;
	bool ok = true;

	if (key_file == NULL)
		return false;
	ok = file_present(x, key_file, kline, what);
	if (cert_file != NULL)
		ok = file_present(x, cert_file, cline, what) && ok;
	if (!ok || !secret_mode_ok(x, key_file, kline, what))
		return false;
	eidgw_diag_clear(&d);
	rc = eidgw_key_load_pem(key_file, cert_file, (int)x->cfg->min_rsa_bits, out, &d);
	cfg_hash_file(x, key_file);
	if (cert_file != NULL)
		cfg_hash_file(x, cert_file);
	if (rc != EIDGW_OK) {
		cfg_err(x, kline, rc, "%s: %s", what, d.reason[0] != '\0' ? d.reason :
		    eidgw_strerror(rc));
		return false;
	}
	return true;
}

static void
load_keypair(struct cfg_ctx *x, struct gw_keypair_conf *kp, const char *what, int fallback)
{
	int kl = cfg_line(x, &kp->key_file, fallback);

	(void)load_key(x, kp->key_file, kp->cert_file, kl, cfg_line(x, &kp->cert_file, kl), what,
	    &kp->key);
}

static bool
jws_alg_fits(const char *alg, const struct eidgw_key *k)
{
	if (alg[0] == 'P' || alg[0] == 'R')
		return k->type == EIDGW_KEY_RSA;
	if (strcmp(alg, "ES256") == 0)
		return k->type == EIDGW_KEY_EC && k->bits == 256;
	return false;
}

static void
keys_check(struct cfg_ctx *x, struct gw_config *c, int line)
{
	int sl = cfg_section_line(x, &c->saml_signing, line);
	size_t i, j;

	load_keypair(x, &c->saml_signing, "keys.saml_signing", sl);
	if (c->saml_signing.key != NULL) {
		const struct eidgw_key *k = c->saml_signing.key;
		int kl = cfg_line(x, &c->saml_signing.key_file, sl);

		if (k->type == EIDGW_KEY_ED25519 || (k->type == EIDGW_KEY_EC && k->bits < 256))
			cfg_err(x, kl, EIDGW_E_KEY_WEAK,
			    "keys.saml_signing: needs an RSA or EC (P-256 or larger) key");
		if (c->saml_signature_alg == NULL) {
			c->saml_signature_alg = eidgw_strdup(k->type == EIDGW_KEY_RSA ?
			    "rsa-pss-sha256" : "ecdsa-sha256");
			if (c->saml_signature_alg == NULL)
				x->oom = true;
		} else if ((k->type == EIDGW_KEY_RSA) !=
		    eidgw_starts_with(c->saml_signature_alg, "rsa-")) {
			cfg_err(x, cfg_line(x, &c->saml_signature_alg, line), EIDGW_E_CONFIG_VALUE,
			    "keys.saml_signature_alg %s does not fit the %s signing key",
			    c->saml_signature_alg, k->type == EIDGW_KEY_RSA ? "RSA" : "EC");
		}
	}
	for (i = 0; i < c->n_saml_encryption; i++) {
		struct gw_keypair_conf *kp = &c->saml_encryption[i];

		load_keypair(x, kp, "keys.saml_encryption", cfg_line(x, &c->saml_encryption, line));
		if (kp->key != NULL && kp->key->type == EIDGW_KEY_ED25519)
			cfg_err(x, cfg_line(x, &kp->key_file, line), EIDGW_E_KEY_WEAK,
			    "keys.saml_encryption: needs an RSA or EC key");
	}
	for (i = 0; i < c->n_oidc_keys; i++) {
		struct gw_oidc_key_conf *k = &c->oidc_keys[i];
		int kl = cfg_line(x, &k->key_file, cfg_line(x, &c->oidc_keys, line));
		int il = cfg_line(x, &k->kid, kl);

		for (j = 0; j < i && k->kid != NULL; j++)
			if (c->oidc_keys[j].kid != NULL && strcmp(c->oidc_keys[j].kid, k->kid) == 0)
				cfg_err(x, il, EIDGW_E_CONFIG_DUPLICATE,
				    "keys.oidc: duplicate kid '%s'", k->kid);
		if (k->status == GW_KEY_ACTIVE && k->alg != NULL) {
			for (j = 0; j < i; j++)
				if (c->oidc_keys[j].status == GW_KEY_ACTIVE &&
				    c->oidc_keys[j].alg != NULL &&
				    strcmp(c->oidc_keys[j].alg, k->alg) == 0)
					break;
			if (j < i)
				cfg_err(x, cfg_line(x, &k->status, il), EIDGW_E_CONFIG_DUPLICATE,
				    "keys.oidc: a second active key for %s (kid '%s'); only one key per alg signs",
				    k->alg, k->kid != NULL ? k->kid : "?");
		}
		if (!load_key(x, k->key_file, k->cert_file, kl, cfg_line(x, &k->cert_file, kl),
		    "keys.oidc", &k->key))
			continue;
		if (k->alg != NULL && !jws_alg_fits(k->alg, k->key))
			cfg_err(x, kl, EIDGW_E_KEY_WEAK, "keys.oidc: kid '%s': alg %s does not fit a %s key of %d bits",
			    k->kid != NULL ? k->kid : "?", k->alg,
			    k->key->type == EIDGW_KEY_RSA ? "RSA" : k->key->type == EIDGW_KEY_EC ?
			    "EC" : "Ed25519", k->key->bits);
	}
	if (c->n_oidc_keys > 0) {
		for (i = 0; i < c->n_oidc_keys; i++)
			if (c->oidc_keys[i].status == GW_KEY_ACTIVE)
				break;
		if (i == c->n_oidc_keys)
			cfg_err(x, cfg_line(x, &c->oidc_keys, line), EIDGW_E_CONFIG_MISSING,
			    "keys.oidc: no key has status active");
	}
	if (c->pairwise_key_file != NULL) {
		int pl = cfg_line(x, &c->pairwise_key_file, line);
		unsigned char *pk;
		size_t plen;

		if (file_present(x, c->pairwise_key_file, pl, "keys.pairwise_key") &&
		    (pk = read_b64_secret(x, c->pairwise_key_file, pl, "keys.pairwise_key", 32,
		    &plen)) != NULL) {
			if (plen == sizeof(c->pairwise_key))
				memcpy(c->pairwise_key, pk, plen);
			else if (EVP_Digest(pk, plen, c->pairwise_key, NULL, EVP_sha256(), NULL) != 1)
				x->oom = true;
			eidgw_wipe(pk, plen);
			free(pk);
		}
	}
}

static void
gateway_validate(struct cfg_ctx *x, void *base, int line)
{
	struct gw_config *c = base;
	struct gw_audit_conf *a = &c->audit;
	struct stat st;
	size_t need;
	char *u;

	/* public_url: drop the one trailing '/' that the check allows. */
	if ((u = c->server.public_url) != NULL && u[0] != '\0' && u[strlen(u) - 1] == '/')
		u[strlen(u) - 1] = '\0';
	need = c->limits.max_saml_response_bytes / 3 * 4 + 4096;
	if (c->server.max_body_bytes != 0 && c->server.max_body_bytes < need)
		cfg_err(x, cfg_line(x, &c->server.max_body_bytes,
		    cfg_line(x, &c->limits.max_saml_response_bytes, line)), EIDGW_E_CONFIG_VALUE,
		    "server.max_body_bytes (%zu) is below what limits.max_saml_response_bytes needs (%zu)",
		    c->server.max_body_bytes, need);
	if (c->plugins_dir != NULL && (stat(c->plugins_dir, &st) != 0 || !S_ISDIR(st.st_mode)))
		cfg_err(x, cfg_line(x, &c->plugins_dir, line), EIDGW_E_CONFIG_FILE,
		    "plugins_dir: %s is not a directory", c->plugins_dir);
	if (c->min_rsa_bits == 0)
		c->min_rsa_bits = 3072;
	keys_check(x, c, line);
	if (a->enabled && a->signing_key_file != NULL) {
		int kl = cfg_line(x, &a->signing_key_file, line);

		(void)load_key(x, a->signing_key_file, NULL, kl, kl, "audit.signing_key",
		    &a->signing_key);
	}
	if (a->enabled && a->hmac_key_file != NULL) {
		int hl = cfg_line(x, &a->hmac_key_file, line);

		if (file_present(x, a->hmac_key_file, hl, "audit.hmac_key"))
			a->hmac_key = read_b64_secret(x, a->hmac_key_file, hl, "audit.hmac_key", 32,
			    &a->hmac_key_len);
	}
}

/* The JWKS of a private_key_jwt client: public keys only. */

/* Bit length of a JWK "n" (base64url, big-endian); 0 when it does not decode. */
static int
rsa_modulus_bits(const char *n)
{
	struct eidgw_buf b;
	const unsigned char *p;
	size_t len;
	int bits = 0;

	eidgw_buf_init(&b, 8192);
	if (eidgw_b64_decode(&b, n, strlen(n), true) == EIDGW_OK) {
		p = (const unsigned char *)b.data;
		for (len = b.len; len > 0 && *p == 0; len--)
			p++;
		if (len > 0) {
			bits = (int)(len - 1) * 8;
			for (unsigned int c = *p; c != 0; c >>= 1)
				bits++;
		}
	}
	eidgw_buf_free(&b);
	return bits;
}
static void
check_jwks_file(struct cfg_ctx *x, const char *path, int line)
{
	static const char *const private_members[] = { "d", "p", "q", "dp", "dq", "qi", "k" };
	json_error_t je;
	json_t *root = NULL, *keys, *k;
	const char *kty, *s;
	char *text = NULL;
	size_t len = 0, i, j;
	int e;

	if (!file_present(x, path, line, "client.jwks_file"))
		return;
	if ((e = cfg_read_file(path, 65536, &text, &len)) != 0) {
		cfg_err(x, line, EIDGW_E_CONFIG_FILE, "client.jwks_file: %s: %s", path,
		    e == EFBIG ? "larger than 64 KiB" : cfg_read_strerror(e));
		return;
	}
	cfg_hash(x, path, text, len);
	if ((root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je)) == NULL) {
		cfg_err(x, line, EIDGW_E_CONFIG_VALUE, "client.jwks_file: %s:%d: %s", path,
		    je.line, je.text);
		goto out;
	}
	keys = json_object_get(root, "keys");
	if (!json_is_array(keys) || json_array_size(keys) == 0) {
		cfg_err(x, line, EIDGW_E_CONFIG_VALUE,
		    "client.jwks_file: %s has no non-empty \"keys\" array", path);
		goto out;
	}
	json_array_foreach(keys, i, k) {
		if (!json_is_object(k) || !json_is_string(json_object_get(k, "kty"))) {
			cfg_err(x, line, EIDGW_E_CONFIG_VALUE,
			    "client.jwks_file: %s: key %zu has no \"kty\"", path, i);
			continue;
		}
		for (j = 0; j < EIDGW_ARRAY_LEN(private_members); j++)
			if (json_object_get(k, private_members[j]) != NULL) {
				cfg_err(x, line, EIDGW_E_CONFIG_VALUE,
				    "client.jwks_file: %s: key %zu holds private or symmetric key material (\"%s\")",
				    path, i, private_members[j]);
				break;
			}
		if (j < EIDGW_ARRAY_LEN(private_members))
			continue;
		/* what oidc/ accepts for client authentication (client_jwks_ok) */
		kty = json_string_value(json_object_get(k, "kty"));
		if (strcmp(kty, "RSA") == 0) {
			s = json_string_value(json_object_get(k, "n"));
			if (s == NULL || rsa_modulus_bits(s) < 2048)
				cfg_err(x, line, EIDGW_E_CONFIG_VALUE,
				    "client.jwks_file: %s: key %zu: RSA keys need at least 2048 bits",
				    path, i);
		} else if (strcmp(kty, "EC") == 0) {
			s = json_string_value(json_object_get(k, "crv"));
			if (s == NULL || strcmp(s, "P-256") != 0)
				cfg_err(x, line, EIDGW_E_CONFIG_VALUE,
				    "client.jwks_file: %s: key %zu: EC keys must be on P-256", path, i);
		} else
			cfg_err(x, line, EIDGW_E_CONFIG_VALUE,
			    "client.jwks_file: %s: key %zu: kty %.20s is not RSA or EC", path, i, kty);
	}
out:
	json_decref(root);
	free(text);
}

static void
client_secret_from_file(struct cfg_ctx *x, struct gw_client_conf *c, int line)
{
	char *text = NULL;
	size_t len = 0;
	int e;

	if (!file_present(x, c->client_secret_file, line, "client.client_secret_file") ||
	    !secret_mode_ok(x, c->client_secret_file, line, "client.client_secret_file"))
		return;
	if ((e = cfg_read_file(c->client_secret_file, 4096, &text, &len)) != 0) {
		cfg_err(x, line, EIDGW_E_CONFIG_FILE, "client.client_secret_file: %s: %s",
		    c->client_secret_file, cfg_read_strerror(e));
		return;
	}
	/* The first line, without its line end. */
	text[strcspn(text, "\r\n")] = '\0';
	eidgw_free_secret_str(c->client_secret);
	c->client_secret = eidgw_strdup(text);
	if (c->client_secret == NULL)
		x->oom = true;
	eidgw_wipe(text, len);
	free(text);
}

static void
client_validate(struct cfg_ctx *x, void *base, int line)
{
	struct gw_client_conf *c = base;
	const char *why, *pub;
	struct eidgw_buf b;
	struct url u, u0;
	size_t i;
	int l;

	c->line = cfg_line(x, &c->client_id, line);
	if (c->client_name == NULL && c->client_id != NULL &&
	    (c->client_name = eidgw_strdup(c->client_id)) == NULL)
		x->oom = true;
	l = cfg_line(x, &c->auth_method, c->line);
	if (c->auth_method == GW_AUTH_PRIVATE_KEY_JWT) {
		if (c->client_secret != NULL || c->client_secret_file != NULL)
			cfg_err(x, cfg_line(x, &c->client_secret, cfg_line(x, &c->client_secret_file,
			    l)), EIDGW_E_CONFIG_VALUE,
			    "client.client_secret is not used with private_key_jwt: remove it");
		if ((c->jwks_file == NULL) == (c->jwks_uri == NULL))
			cfg_err(x, l, c->jwks_file == NULL ? EIDGW_E_CONFIG_MISSING :
			    EIDGW_E_CONFIG_VALUE,
			    "client: private_key_jwt needs exactly one of jwks_file and jwks_uri");
		else if (c->jwks_file != NULL)
			check_jwks_file(x, c->jwks_file, cfg_line(x, &c->jwks_file, l));
	} else if (c->auth_method != 0) {
		if (c->jwks_file != NULL || c->jwks_uri != NULL)
			cfg_err(x, cfg_line(x, &c->jwks_file, cfg_line(x, &c->jwks_uri, l)),
			    EIDGW_E_CONFIG_VALUE,
			    "client: jwks_file/jwks_uri are only for private_key_jwt");
		if (c->client_secret != NULL && c->client_secret_file != NULL)
			cfg_err(x, cfg_line(x, &c->client_secret_file, l), EIDGW_E_CONFIG_VALUE,
			    "client: give client_secret or client_secret_file, not both");
		else if (c->client_secret == NULL && c->client_secret_file == NULL)
			cfg_err(x, l, EIDGW_E_CONFIG_MISSING,
			    "client: %s needs client_secret or client_secret_file",
			    c->auth_method == GW_AUTH_CLIENT_SECRET_BASIC ? "client_secret_basic" :
			    "client_secret_post");
		else {
			int sl = cfg_line(x, &c->client_secret, cfg_line(x, &c->client_secret_file, l));

			if (c->client_secret_file != NULL)
				client_secret_from_file(x, c, sl);
			if (c->client_secret != NULL && strlen(c->client_secret) < 32)
				cfg_err(x, sl, EIDGW_E_CONFIG_VALUE,
				    "client.client_secret must be at least 32 characters");
		}
	}
	for (i = 0; i < c->n_scopes; i++)
		if (strcmp(c->scopes[i], "openid") == 0)
			break;
	/* also an explicit empty list ("scopes: []"), which leaves scopes NULL */
	if ((c->scopes != NULL || cfg_seen(x, &c->scopes)) && i == c->n_scopes)
		cfg_err(x, cfg_line(x, &c->scopes, c->line), EIDGW_E_CONFIG_VALUE,
		    "client.scopes must include openid");
	if (c->sector_identifier == NULL && c->n_redirect_uris > 0) {
		why = NULL;
		if (url_parse(c->redirect_uris[0], &u0, &why)) {
			for (i = 1; i < c->n_redirect_uris; i++)
				if (!url_parse(c->redirect_uris[i], &u, &why) ||
				    u.host_len != u0.host_len ||
				    strncasecmp(u.host, u0.host, u.host_len) != 0)
					break;
			if (i < c->n_redirect_uris)
				cfg_err(x, cfg_line(x, &c->redirect_uris, c->line), EIDGW_E_CONFIG_MISSING,
				    "client: the redirect_uris have different hosts, so sector_identifier is required");
			else if ((c->sector_identifier = strndup(u0.host, u0.host_len)) == NULL)
				x->oom = true;
		}
	}
	if (c->default_loa == GW_LOA_NONE)
		c->default_loa = c->min_loa > GW_LOA_SUBSTANTIAL ? c->min_loa : GW_LOA_SUBSTANTIAL;
	else if (c->default_loa < c->min_loa)
		cfg_err(x, cfg_line(x, &c->default_loa, c->line), EIDGW_E_CONFIG_VALUE,
		    "client.default_acr is below client.min_acr");
	pub = x->cfg->server.public_url;
	if (c->requester_id == NULL && pub != NULL && c->client_id != NULL) {
		eidgw_buf_init(&b, 4096);
		if (eidgw_buf_printf(&b, "%s/rp/%s", pub, c->client_id) != EIDGW_OK)
			x->oom = true;
		else
			c->requester_id = eidgw_buf_steal(&b, NULL);
		eidgw_buf_free(&b);
	}
}

static const char *
nameid_urn(const char *s)
{
	if (strcmp(s, "persistent") == 0)
		return "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent";
	if (strcmp(s, "transient") == 0)
		return "urn:oasis:names:tc:SAML:2.0:nameid-format:transient";
	return "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified";
}

/*
 * The last good copy of remote metadata is written as a new file beside
 * metadata_cache_file and renamed over it: its directory must exist, and
 * the file, when it exists, must be a regular file.  Otherwise every fetch
 * would verify and then fail to be kept, and the country would never serve.
 */
static void
cache_file_check(struct cfg_ctx *x, const char *path, int line)
{
	const char *slash = strrchr(path, '/');
	struct stat st;
	char *dir;

	if (slash == NULL)
		dir = eidgw_strdup(".");
	else
		dir = strndup(path, slash == path ? 1 : (size_t)(slash - path));
	if (dir == NULL) {
		x->oom = true;
		return;
	}
	if (stat(dir, &st) != 0)
		cfg_err(x, line, EIDGW_E_CONFIG_FILE,
		    "country.saml.metadata_cache_file: directory %s: %s", dir, strerror(errno));
	else if (!S_ISDIR(st.st_mode))
		cfg_err(x, line, EIDGW_E_CONFIG_FILE,
		    "country.saml.metadata_cache_file: %s is not a directory", dir);
	else if (cfg_not_world_writable(x, x->file, line, dir,
	    "country.saml.metadata_cache_file: directory") &&
	    stat(path, &st) == 0 && !S_ISREG(st.st_mode))
		cfg_err(x, line, EIDGW_E_CONFIG_FILE,
		    "country.saml.metadata_cache_file: %s exists and is not a regular file", path);
	free(dir);
}

static void
country_saml_check(struct cfg_ctx *x, struct gw_country_conf *c, int line)
{
	struct gw_country_saml_conf *s = &c->saml;
	int sl = cfg_section_line(x, &c->saml, line);
	FILE *f;

	if (s->nameid_format != NULL && !eidgw_starts_with(s->nameid_format, "urn:")) {
		char *urn = eidgw_strdup(nameid_urn(s->nameid_format));

		if (urn == NULL) {
			x->oom = true;
			return;
		}
		free(s->nameid_format);
		s->nameid_format = urn;
	}
	if (c->connector == NULL || strcmp(c->connector, "eidas-saml") != 0) {
		if (cfg_section_seen(x, &c->saml))
			cfg_err(x, sl, EIDGW_E_CONFIG_VALUE,
			    "country.saml applies only to connector eidas-saml (use plugin_settings)");
		return;
	}
	if (!cfg_section_seen(x, &c->saml)) {
		cfg_err(x, line, EIDGW_E_CONFIG_MISSING,
		    "missing required key 'country.saml' (connector eidas-saml)");
		return;
	}
	if (s->metadata_url != NULL && s->metadata_file != NULL)
		cfg_err(x, cfg_line(x, &s->metadata_file, sl), EIDGW_E_CONFIG_VALUE,
		    "country.saml: give metadata_url or metadata_file, not both");
	else if (!cfg_seen(x, &s->metadata_url) && !cfg_seen(x, &s->metadata_file))
		cfg_err(x, sl, EIDGW_E_CONFIG_MISSING,
		    "country.saml: metadata_url or metadata_file is required");
	if (s->metadata_url != NULL && s->metadata_signing_cert == NULL)
		cfg_err(x, cfg_line(x, &s->metadata_url, sl), EIDGW_E_CONFIG_MISSING,
		    "country.saml.metadata_signing_cert is required with metadata_url");
	if (s->metadata_url != NULL && s->metadata_cache_file == NULL)
		cfg_err(x, cfg_line(x, &s->metadata_url, sl), EIDGW_E_CONFIG_MISSING,
		    "country.saml.metadata_cache_file is required with metadata_url");
	if (s->signature_alg != NULL && eidgw_starts_with(s->signature_alg, "rsa-sha") &&
	    !s->allow_rsa_pkcs1)
		cfg_err(x, cfg_line(x, &s->signature_alg, sl), EIDGW_E_CONFIG_VALUE,
		    "country.saml.signature_alg %s needs allow_rsa_pkcs1: true", s->signature_alg);
	if (!c->enabled)
		return;
	if (s->metadata_url != NULL && s->metadata_cache_file != NULL)
		cache_file_check(x, s->metadata_cache_file,
		    cfg_line(x, &s->metadata_cache_file, sl));
	if (s->metadata_file != NULL) {
		int fl = cfg_line(x, &s->metadata_file, sl);

		if (file_present(x, s->metadata_file, fl, "country.saml.metadata_file"))
			cfg_hash_file(x, s->metadata_file);
	}
	if (s->metadata_signing_cert != NULL) {
		int cl = cfg_line(x, &s->metadata_signing_cert, sl);

		if (!file_present(x, s->metadata_signing_cert, cl,
		    "country.saml.metadata_signing_cert"))
			return;
		cfg_hash_file(x, s->metadata_signing_cert);
		/* every certificate in the file: during a signer rollover the old and the new one */
		if ((f = fopen(s->metadata_signing_cert, "r")) != NULL) {
			X509 *crt;
			unsigned long e;
			bool full = false;

			ERR_clear_error();
			while ((crt = PEM_read_X509(f, NULL, NULL, NULL)) != NULL) {
				if (s->n_metadata_signers == GW_MAX_MD_SIGNERS) {
					X509_free(crt);
					cfg_err(x, cl, EIDGW_E_CONFIG_VALUE,
					    "country.saml.metadata_signing_cert: %s holds more than "
					    "%d certificates", s->metadata_signing_cert,
					    GW_MAX_MD_SIGNERS);
					full = true;
					break;
				}
				s->metadata_signers[s->n_metadata_signers++] = crt;
			}
			/*
			 * The end of the file is "no start line"; anything else is a
			 * certificate after the first that does not parse (the new
			 * signer of a rollover, silently left out before).
			 */
			e = ERR_peek_last_error();
			if (!full && s->n_metadata_signers > 0 && e != 0 &&
			    !(ERR_GET_LIB(e) == ERR_LIB_PEM &&
			    ERR_GET_REASON(e) == PEM_R_NO_START_LINE))
				cfg_err(x, cl, EIDGW_E_KEY_LOAD,
				    "country.saml.metadata_signing_cert: %s: certificate %zu does "
				    "not parse", s->metadata_signing_cert,
				    s->n_metadata_signers + 1);
			fclose(f);
		}
		ERR_clear_error();
		if (s->n_metadata_signers == 0)
			cfg_err(x, cl, EIDGW_E_KEY_LOAD,
			    "country.saml.metadata_signing_cert: %s is not a PEM certificate",
			    s->metadata_signing_cert);
	}
}

static void
country_validate(struct cfg_ctx *x, void *base, int line)
{
	struct gw_country_conf *c = base;
	const char *fb = x->file_base;
	struct stat st;

	c->line = cfg_line(x, c->code, line);
	if (c->code[0] != '\0' && fb != NULL &&
	    (strlen(fb) != 7 || strncmp(fb, c->code, 2) != 0))
		cfg_err(x, c->line, EIDGW_E_CONFIG_VALUE,
		    "country: '%s' does not match the file name %s (expected %s.yaml)", c->code,
		    fb, c->code);
	country_saml_check(x, c, line);
	if (c->enabled && c->connector != NULL && strcmp(c->connector, "eidas-saml") != 0 &&
	    x->cfg->plugins_dir != NULL) {
		char *so = NULL;
		struct eidgw_buf b;

		eidgw_buf_init(&b, 8192);
		if (eidgw_buf_printf(&b, "%s/%s.so", x->cfg->plugins_dir, c->connector) == EIDGW_OK)
			so = eidgw_buf_steal(&b, NULL);
		eidgw_buf_free(&b);
		if (so == NULL)
			x->oom = true;
		else if (stat(so, &st) != 0)
			cfg_err(x, cfg_line(x, &c->connector, c->line), EIDGW_E_CONFIG_FILE,
			    "country.connector: plugin %s not found", so);
		free(so);
	}
}

/* ---- across files ------------------------------------------------------ */

void
cfg_check_global(struct cfg_ctx *x, struct gw_config *c)
{
	size_t i, j;

	for (i = 0; i < c->n_clients; i++) {
		struct gw_client_conf *a = &c->clients[i];

		if (a->client_id == NULL)
			continue;
		for (j = 0; j < i; j++)
			if (c->clients[j].client_id != NULL &&
			    strcmp(c->clients[j].client_id, a->client_id) == 0) {
				cfg_err_at(x, a->file, a->line, EIDGW_E_CONFIG_DUPLICATE,
				    "duplicate client_id '%s' (also in %s:%d)", a->client_id,
				    c->clients[j].file, c->clients[j].line);
				break;
			}
		if (a->id_token_alg == NULL || c->n_oidc_keys == 0)
			continue;
		for (j = 0; j < c->n_oidc_keys; j++)
			if (c->oidc_keys[j].status == GW_KEY_ACTIVE && c->oidc_keys[j].alg != NULL &&
			    strcmp(c->oidc_keys[j].alg, a->id_token_alg) == 0)
				break;
		if (j == c->n_oidc_keys)
			cfg_err_at(x, a->file, a->line, EIDGW_E_CONFIG_VALUE,
			    "client '%s': no active key in keys.oidc has alg %s "
			    "(id_token_signed_response_alg)", a->client_id, a->id_token_alg);
	}
	for (i = 0; i < c->n_countries; i++) {
		struct gw_country_conf *a = &c->countries[i];

		if (a->code[0] == '\0')
			continue;
		for (j = 0; j < i; j++)
			if (strcmp(c->countries[j].code, a->code) == 0) {
				cfg_err_at(x, a->file, a->line, EIDGW_E_CONFIG_DUPLICATE,
				    "duplicate country '%s' (also in %s:%d)", a->code,
				    c->countries[j].file, c->countries[j].line);
				break;
			}
		if (a->saml.signature_alg != NULL && c->saml_signing.key != NULL &&
		    eidgw_starts_with(a->saml.signature_alg, "rsa-") !=
		    (c->saml_signing.key->type == EIDGW_KEY_RSA))
			cfg_err_at(x, a->file, a->line, EIDGW_E_CONFIG_VALUE,
			    "country '%s': saml.signature_alg %s does not fit the gateway's %s signing key",
			    a->code, a->saml.signature_alg,
			    c->saml_signing.key->type == EIDGW_KEY_RSA ? "RSA" : "EC");
		if (a->enabled && a->connector != NULL && strcmp(a->connector, "eidas-saml") != 0 &&
		    c->plugins_dir == NULL)
			cfg_err_at(x, a->file, a->line, EIDGW_E_CONFIG_MISSING,
			    "country '%s' uses connector %s but plugins_dir is not set", a->code,
			    a->connector);
	}
}
