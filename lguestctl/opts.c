// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * lguestctl run's options.  The letters are kvmtool's (-m -k -i -p -d -n),
 * the sub-options cloud-hypervisor's (--disk path=img,ro=on); a bare path
 * is a disk too, because that is what people type.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/lguest.h>
#include "opts.h"

static int usage_err(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	/* NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized): va_start is just above */
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
	return CTL_EXIT_USAGE;
}

int64_t ctl_parse_mib(const char *s)
{
	char *end;
	unsigned long long v;

	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || v > (1ULL << 40))
		return -1;
	if (*end == 'G' || *end == 'g') {
		v <<= 10;
		end++;
	} else if (*end == 'M' || *end == 'm') {
		end++;
	}
	if (*end == 'i' && (end[-1] == 'G' || end[-1] == 'M' || end[-1] == 'g' || end[-1] == 'm'))
		end++;		/* "MiB"/"GiB" as well as "M"/"G" */
	if (*end == 'B' || *end == 'b')
		end++;
	return *end ? -1 : (int64_t)v;
}

int ctl_parse_mac(const char *s, uint8_t mac[6])
{
	for (int i = 0; i < 6; i++) {
		if (!isxdigit((unsigned char)s[0]) || !isxdigit((unsigned char)s[1]))
			return -1;
		mac[i] = (uint8_t)strtoul((char[3]){ s[0], s[1], 0 }, NULL, 16);
		s += 2;
		if (i < 5 && *s++ != ':')
			return -1;
	}
	return *s ? -1 : 0;
}

bool ctl_valid_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= CTL_NAME_MAX || s[0] == '.')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("_.-", s[i]))
			return false;
	return true;
}

/*
 * Splits "key=value,key=value" in place.  Calls @fn for each pair; a
 * token without '=' is given with key NULL.
 */
static int each_kv(char *s, int (*fn)(void *ctx, const char *key, char *val), void *ctx)
{
	char *save = NULL;

	for (char *tok = strtok_r(s, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '=');
		int r;

		if (eq) {
			*eq = 0;
			r = fn(ctx, tok, eq + 1);
		} else {
			r = fn(ctx, NULL, tok);
		}
		if (r)
			return r;
	}
	return 0;
}

struct kv_ctx {
	struct ctl_run *r;
	char *err;
	size_t errlen;
	bool first;
};

static int on_off(const char *v, bool *out)
{
	if (!strcmp(v, "on") || !strcmp(v, "true") || !strcmp(v, "1") || !strcmp(v, "yes"))
		*out = true;
	else if (!strcmp(v, "off") || !strcmp(v, "false") || !strcmp(v, "0") || !strcmp(v, "no"))
		*out = false;
	else
		return -1;
	return 0;
}

static int disk_kv(void *p, const char *key, char *val)
{
	struct kv_ctx *c = p;
	struct ctl_disk *d = &c->r->disk[c->r->ndisk];
	bool first = c->first;

	c->first = false;
	/* A bare path first works too: --disk img or --disk img,ro=on */
	if ((!key && first) || (key && !strcmp(key, "path"))) {
		d->path = val;
	} else if (!key) {
		return usage_err(c->err, c->errlen, "--disk: '%s' is not key=value", val);
	} else if (!strcmp(key, "ro") || !strcmp(key, "readonly")) {
		if (on_off(val, &d->readonly))
			return usage_err(c->err, c->errlen, "--disk: ro=%s: use on or off", val);
	} else if (!strcmp(key, "serial")) {
		if (strlen(val) > 20)
			return usage_err(c->err, c->errlen, "--disk: serial=%s: at most 20 characters", val);
		d->serial = val;
	} else {
		return usage_err(c->err, c->errlen, "--disk: unknown option '%s' (path, ro, serial)", key);
	}
	return 0;
}

static int net_kv(void *p, const char *key, char *val)
{
	struct kv_ctx *c = p;
	struct ctl_net *n = &c->r->net[c->r->nnet];
	char *end;
	long fd;

	if (!key)
		return usage_err(c->err, c->errlen, "--net: '%s' is not key=value (tap=NAME or fd=N)", val);
	if (!strcmp(key, "tap")) {
		if (!*val || strlen(val) >= 16)
			return usage_err(c->err, c->errlen, "--net: tap=%s: not an interface name", val);
		n->tap = val;
	} else if (!strcmp(key, "fd")) {
		errno = 0;
		fd = strtol(val, &end, 10);
		if (errno || *end || !*val || fd < 0 || fd > 65535)
			return usage_err(c->err, c->errlen, "--net: fd=%s: not a file descriptor", val);
		n->fd = (int)fd;
	} else if (!strcmp(key, "mac")) {
		if (ctl_parse_mac(val, n->mac))
			return usage_err(c->err, c->errlen, "--net: mac=%s: want xx:xx:xx:xx:xx:xx", val);
		if (n->mac[0] & 1)
			return usage_err(c->err, c->errlen, "--net: mac=%s is a multicast address", val);
		n->has_mac = true;
	} else {
		return usage_err(c->err, c->errlen, "--net: unknown option '%s' (tap, fd, mac)", key);
	}
	return 0;
}

static int fs_kv(void *p, const char *key, char *val)
{
	struct kv_ctx *c = p;
	struct ctl_fs *f = &c->r->fs[c->r->nfs];

	if (!key)
		return usage_err(c->err, c->errlen, "--fs: '%s' is not key=value"
				 " (path=DIR,tag=TAG)", val);
	if (!strcmp(key, "path") || !strcmp(key, "socket")) {
		if (!*val)
			return usage_err(c->err, c->errlen, "--fs: %s= needs a path", key);
		*(!strcmp(key, "path") ? &f->path : &f->socket) = val;
	} else if (!strcmp(key, "tag")) {
		/* virtio-fs's config space holds 36 bytes */
		if (!*val || strlen(val) > 36)
			return usage_err(c->err, c->errlen, "--fs: tag=%s: 1 to 36 characters", val);
		f->tag = val;
	} else if (!strcmp(key, "ro") || !strcmp(key, "readonly")) {
		if (on_off(val, &f->readonly))
			return usage_err(c->err, c->errlen, "--fs: ro=%s: use on or off", val);
	} else {
		return usage_err(c->err, c->errlen, "--fs: unknown option '%s' (path, socket, tag, ro)",
				 key);
	}
	return 0;
}

static int vsock_kv(void *p, const char *key, char *val)
{
	struct kv_ctx *c = p;
	struct ctl_vsock *v = &c->r->vsock;

	if (!key)
		return usage_err(c->err, c->errlen, "--vsock: '%s' is not key=value"
				 " (cid=N,socket=PATH)", val);
	if (!strcmp(key, "cid")) {
		char *end;
		unsigned long long cid;

		errno = 0;
		cid = strtoull(val, &end, 10);
		if (errno || *end || !*val || *val == '-' || cid < 3 || cid >= UINT32_MAX)
			return usage_err(c->err, c->errlen, "--vsock: cid=%s: a number from 3 to %u"
					 " (0-2 are reserved)", val, UINT32_MAX - 1);
		v->cid = cid;
	} else if (!strcmp(key, "socket")) {
		if (!*val)
			return usage_err(c->err, c->errlen, "--vsock: socket= needs a path");
		v->socket = val;
	} else {
		return usage_err(c->err, c->errlen, "--vsock: unknown option '%s' (cid, socket)", key);
	}
	return 0;
}

static int append(char **dst, const char *s)
{
	size_t old = *dst ? strlen(*dst) : 0, len = strlen(s);
	char *n = realloc(*dst, old + len + 2);

	if (!n)
		return -1;
	if (old)
		n[old++] = ' ';
	memcpy(n + old, s, len + 1);
	*dst = n;
	return 0;
}

static const struct option run_opts[] = {
	{ "mem", required_argument, NULL, 'm' },
	{ "kernel", required_argument, NULL, 'k' },
	{ "initrd", required_argument, NULL, 'i' },
	{ "params", required_argument, NULL, 'p' },
	{ "disk", required_argument, NULL, 'd' },
	{ "net", required_argument, NULL, 'n' },
	{ "vsock", required_argument, NULL, 'V' },
	{ "fs", required_argument, NULL, 'F' },
	{ "console", optional_argument, NULL, 'c' },
	{ "name", required_argument, NULL, 'N' },
	{ "log-level", required_argument, NULL, 'L' },
	{ "stats", no_argument, NULL, 'S' },
	{ "rw", required_argument, NULL, 'W' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int log_level(const char *s)
{
	static const char *const names[] = { "error", "warn", "info", "debug" };

	for (int i = 0; i < 4; i++)
		if (!strcmp(s, names[i]) || (s[0] == '0' + i && !s[1]))
			return i;
	if (!strcmp(s, "warning"))
		return 1;
	return -1;
}

static int parse_opt(int c, struct ctl_run *r, char *err, size_t errlen)
{
	struct kv_ctx kv = { .r = r, .err = err, .errlen = errlen, .first = true };
	int64_t mib;
	int rc;

	switch (c) {
	case 'm':
		mib = ctl_parse_mib(optarg);
		if (mib < 0)
			return usage_err(err, errlen, "--mem %s: not a size in MiB (e.g. 128, 1G)", optarg);
		if ((uint64_t)mib < (LGUEST_MIN_MEM >> 20) || (uint64_t)mib > (LGUEST_MAX_MEM >> 20))
			return usage_err(err, errlen, "--mem %s: memory must be %llu MiB to %llu MiB",
					 optarg, LGUEST_MIN_MEM >> 20, LGUEST_MAX_MEM >> 20);
		if (mib % 2)
			return usage_err(err, errlen, "--mem %s: memory must be a multiple of 2 MiB", optarg);
		r->mem_mib = (uint64_t)mib;
		r->mem_set = true;
		return 0;
	case 'k':
		r->kernel = optarg;
		return 0;
	case 'i':
		r->initrd = optarg;
		return 0;
	case 'p':
		return append(&r->params, optarg) ? usage_err(err, errlen, "out of memory") : 0;
	case 'd':
		if (r->ndisk == CTL_MAX_DISKS)
			return usage_err(err, errlen, "--disk: at most %d disks", CTL_MAX_DISKS);
		memset(&r->disk[r->ndisk], 0, sizeof(r->disk[0]));
		rc = each_kv(optarg, disk_kv, &kv);
		if (rc)
			return rc;
		if (!r->disk[r->ndisk].path || !*r->disk[r->ndisk].path)
			return usage_err(err, errlen, "--disk: no path (--disk path=IMG or --disk IMG)");
		r->ndisk++;
		return 0;
	case 'n':
		if (r->nnet == CTL_MAX_NETS)
			return usage_err(err, errlen, "--net: at most %d network devices", CTL_MAX_NETS);
		memset(&r->net[r->nnet], 0, sizeof(r->net[0]));
		r->net[r->nnet].fd = -1;
		rc = each_kv(optarg, net_kv, &kv);
		if (rc)
			return rc;
		if (!r->net[r->nnet].tap == (r->net[r->nnet].fd < 0))
			return usage_err(err, errlen, "--net: give exactly one of tap=NAME and fd=N");
		r->nnet++;
		return 0;
	case 'F': {
		struct ctl_fs *f = &r->fs[r->nfs];

		if (r->nfs == CTL_MAX_FS)
			return usage_err(err, errlen, "--fs: at most %d shared directories", CTL_MAX_FS);
		memset(f, 0, sizeof(*f));
		rc = each_kv(optarg, fs_kv, &kv);
		if (rc)
			return rc;
		if (!f->path == !f->socket)
			return usage_err(err, errlen, "--fs: give exactly one of path=DIR and socket=PATH");
		if (!f->tag)
			return usage_err(err, errlen, "--fs: no tag (the guest mounts it:"
					 " mount -t virtiofs TAG DIR)");
		if (f->socket && f->readonly)
			return usage_err(err, errlen, "--fs: ro=on is for path=DIR; a daemon of"
					 " your own shares as you started it");
		for (unsigned int i = 0; i < r->nfs; i++)
			if (!strcmp(r->fs[i].tag, f->tag))
				return usage_err(err, errlen, "--fs: tag %s twice", f->tag);
		r->nfs++;
		return 0;
	}
	case 'V':
		if (r->vsock.socket)
			return usage_err(err, errlen, "--vsock: at most one vsock device");
		r->vsock.cid = 3;
		rc = each_kv(optarg, vsock_kv, &kv);
		if (rc)
			return rc;
		if (!r->vsock.socket)
			return usage_err(err, errlen, "--vsock: no socket (--vsock cid=N,socket=PATH)");
		return 0;
	case 'c':
		if (optarg && on_off(optarg, &r->console))
			return usage_err(err, errlen, "--console=%s: use on or off", optarg);
		if (!optarg)
			r->console = true;
		return 0;
	case 'N':
		if (!ctl_valid_name(optarg))
			return usage_err(err, errlen, "--name %s: use letters, digits, '_', '.', '-'"
					 " (at most %d)", optarg, CTL_NAME_MAX - 1);
		free(r->name);
		r->name = strdup(optarg);
		return r->name ? 0 : usage_err(err, errlen, "out of memory");
	case 'L':
		r->log_level = log_level(optarg);
		if (r->log_level < 0)
			return usage_err(err, errlen, "--log-level %s: error, warn, info or debug", optarg);
		return 0;
	case 'S':
		r->stats = true;
		return 0;
	case 'W':
		if (r->nrw == CTL_MAX_RW)
			return usage_err(err, errlen, "--rw: at most %d directories", CTL_MAX_RW);
		if (optarg[0] != '/')
			return usage_err(err, errlen, "--rw %s: give an absolute path", optarg);
		r->rw[r->nrw++] = optarg;
		return 0;
	case 'h':
		r->help = true;
		return 0;
	default:
		return usage_err(err, errlen, "unknown option");
	}
}

/* Is @a an option whose value is the next argument ("-m", "--mem")? */
static bool takes_value(const char *a)
{
	if (a[0] != '-' || !a[1])
		return false;
	if (a[1] != '-')
		return !a[2] && strchr("mkipdn", a[1]);
	for (const struct option *o = run_opts; o->name; o++)
		if (o->has_arg == required_argument && !strcmp(a + 2, o->name))
			return true;
	return false;
}

/*
 * With a command, the kernel is optional (the packaged one) and the
 * vsock device and the shares' tags are lguestctl's own.
 */
static int command_opts(int argc, char **argv, struct ctl_run *r, char *err, size_t errlen)
{
	if (!r->kernel && optind < argc)
		r->kernel = argv[optind++];
	for (; optind < argc; optind++)
		if (append(&r->params, argv[optind]))
			return usage_err(err, errlen, "out of memory");
	if (r->vsock.socket)
		return usage_err(err, errlen, "--vsock: a command's guest uses its vsock device itself");
	if (r->nfs + r->nrw + 1 > CTL_MAX_FS)
		return usage_err(err, errlen, "--fs and --rw: at most %d together with a command",
				 CTL_MAX_FS - 1);
	for (unsigned int i = 0; i < r->nfs; i++)
		if (!strcmp(r->fs[i].tag, "root") || !strncmp(r->fs[i].tag, "rw", 2))
			return usage_err(err, errlen, "--fs: tags root and rw* are for the command's"
					 " own shares");
	if (!r->mem_set)
		r->mem_mib = 256;
	return 0;
}

int ctl_parse_run(int argc, char **argv, struct ctl_run *r, char *err, size_t errlen)
{
	int c, end = argc;

	memset(r, 0, sizeof(*r));
	/*
	 * "-- COMMAND...": what follows is a command to run in a fresh guest.
	 * The first "--" that is not an option's value: after VMLINUX, kernel
	 * arguments cannot hold one (-p can).
	 */
	for (int i = 1, kernel = 0; i < argc; i++) {
		if (!kernel && takes_value(argv[i])) {
			i++;
			continue;
		}
		if (argv[i][0] != '-')
			kernel = 1;
		if (strcmp(argv[i], "--") != 0)
			continue;
		r->command = argv + i + 1;	/* NULL-terminated, as argv is */
		if (i + 1 == argc)
			return usage_err(err, errlen, "no command after --");
		end = i;
		break;
	}
	argc = end;
	r->mem_mib = 128;
	r->console = true;
	r->log_level = 0;
	err[0] = 0;
	optind = 1;
	opterr = 0;
	/* "+": stop at the kernel; what follows it is the kernel's. */
	while ((c = getopt_long(argc, argv, "+m:k:i:p:d:n:h", run_opts, NULL)) != -1) {
		if (c == '?' || c == ':') {
			if (optopt && strchr("mkipdn", optopt))
				return usage_err(err, errlen, "option -%c needs an argument", optopt);
			if (optopt)
				return usage_err(err, errlen, "unknown option -%c", optopt);
			return usage_err(err, errlen, "unknown option or missing argument: '%s'",
					 argv[optind - 1]);
		}
		int rc = parse_opt(c, r, err, errlen);

		if (rc)
			return rc;
	}
	if (r->help)
		return 0;
	if (r->command)
		return command_opts(argc, argv, r, err, errlen);
	if (r->nrw)
		return usage_err(err, errlen, "--rw is for a command (lguestctl run --rw DIR -- COMMAND)");
	if (!r->kernel) {
		if (optind >= argc)
			return usage_err(err, errlen, "no kernel (lguestctl run [OPTIONS] VMLINUX [ARGS...])");
		r->kernel = argv[optind++];
	}
	for (; optind < argc; optind++)
		if (append(&r->params, argv[optind]))
			return usage_err(err, errlen, "out of memory");
	return 0;
}

void ctl_run_free(struct ctl_run *r)
{
	free(r->params);
	free(r->name);
	r->params = NULL;
	r->name = NULL;
}

char *ctl_cmdline(const struct ctl_run *r)
{
	const char *user = r->params ? r->params : "";
	char *s = NULL;

	/* Sensible defaults, unless the user said otherwise. */
	if (r->console && !strstr(user, "console=") && append(&s, "console=hvc0"))
		goto oom;
	if (r->ndisk && !strstr(user, "root=") && append(&s, "root=/dev/vda rw"))
		goto oom;
	if (*user && append(&s, user))
		goto oom;
	if (!s)
		s = strdup("");
	return s;
oom:
	free(s);
	return NULL;
}
