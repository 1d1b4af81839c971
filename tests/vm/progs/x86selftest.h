/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Run Linux's x86 selftests (tests/lib/x86-selftests.sh) one by one and
 * say what each did, the same way in the Linux guest
 * (tests/guests/linux/kselftest.c, lgt=kselftest) and natively on the VM
 * host (t_userland kselftest), so that the two can be compared.
 *
 * Each NAME_64 runs in a process group of its own, as nobody (65534)
 * unless it needs a privilege (iopl and ioperm: CAP_SYS_RAWIO, as root),
 * in /tmp, stdin /dev/null, stdout and stderr into a file, killed with
 * its group after LIMIT seconds.  Then one line
 *
 *   KSELFTEST NAME as USER: exit N|signal N|hung N; ok O fail F skip S; T s
 *
 * (O, F, S: the lines that say "[OK]", "[FAIL]", "[SKIP]", or kselftest's
 * "ok", "not ok", "ok ... # SKIP"), after a "KSELFTEST-LINE NAME: text"
 * for each line naming a failure or a skip (at most 12) and a
 * "KSELFTEST-LAST NAME: text", its last line; after the last test,
 * "KSELFTEST DONE n".
 */
#ifndef X86SELFTEST_H
#define X86SELFTEST_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define X86ST_NOBODY	65534
#define X86ST_OUT	"/tmp/x86selftest.out"
#define X86ST_MAX	48
#define X86ST_LINES	12

/* What one run did, as printed and parsed back. */
struct x86st {
	char name[48], user[8], how[8];	/* how: exit, signal, hung */
	int code, ok, fail, skip;
	double secs;
};

/* The ones that need a privilege nobody lacks. */
static inline int x86st_root(const char *name)
{
	return !strcmp(name, "iopl_64") || !strcmp(name, "ioperm_64");
}

static inline double x86st_mono(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static inline int x86st_is_fail(const char *l)
{
	return strstr(l, "[FAIL]") || !strncmp(l, "not ok ", 7);
}

static inline int x86st_is_skip(const char *l)
{
	return strstr(l, "[SKIP]") || (!strncmp(l, "ok ", 3) && strstr(l, "# SKIP"));
}

static inline int x86st_is_ok(const char *l)
{
	return strstr(l, "[OK]") || (!strncmp(l, "ok ", 3) && !strstr(l, "# SKIP"));
}

/* Print a line of the test's output on one line of ours, tabs as spaces. */
static inline void x86st_line(FILE *out, const char *tag, const char *name, const char *l)
{
	char buf[200];
	size_t n = strcspn(l, "\r\n");

	if (n > sizeof(buf) - 1)
		n = sizeof(buf) - 1;
	memcpy(buf, l, n);
	buf[n] = '\0';
	for (char *p = buf; *p; p++)
		if (*p == '\t')
			*p = ' ';
	fprintf(out, "%s %s: %s\n", tag, name, buf);
}

/*
 * Run DIR/NAME as described above, on CPU cpu alone if cpu >= 0 (the test
 * may move itself); print its lines on OUT.
 */
static inline struct x86st x86st_run(const char *dir, const char *name, int limit, int cpu,
				     FILE *out)
{
	struct x86st r = { .code = -1 };
	char path[256], line[512], last[512] = "";
	double start = x86st_mono();
	int status, shown = 0;
	pid_t pid;
	FILE *f;

	snprintf(r.name, sizeof(r.name), "%s", name);
	snprintf(r.user, sizeof(r.user), "%s", x86st_root(name) ? "root" : "nobody");
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fflush(out);
	pid = fork();
	if (pid == 0) {
		int fd = open(X86ST_OUT, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		int in = open("/dev/null", O_RDONLY);

		if (fd < 0 || in < 0 || dup2(in, 0) < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0 ||
		    chdir("/tmp"))
			_exit(126);
		setpgid(0, 0);
		if (cpu >= 0) {
			cpu_set_t one;

			CPU_ZERO(&one);
			CPU_SET(cpu, &one);
			sched_setaffinity(0, sizeof(one), &one);
		}
		if (!x86st_root(name) && (setgroups(0, NULL) || setgid(X86ST_NOBODY) ||
					  setuid(X86ST_NOBODY) || setuid(0) == 0))
			_exit(125);
		/* After setuid(), which clears it. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		execl(path, name, (char *)NULL);
		_exit(127);
	}
	snprintf(r.how, sizeof(r.how), "hung");
	r.code = limit;
	while (pid > 0) {
		pid_t w = waitpid(pid, &status, WNOHANG);

		if (w == pid) {
			snprintf(r.how, sizeof(r.how), WIFEXITED(status) ? "exit" : "signal");
			r.code = WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status);
			break;
		}
		if (w < 0 || x86st_mono() - start > limit)
			break;
		usleep(20000);
	}
	if (pid > 0) {
		/* Whatever it left behind (or all of it, hung) goes. */
		kill(-pid, SIGKILL);
		if (!strcmp(r.how, "hung")) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
		}
	}
	r.secs = x86st_mono() - start;

	f = fopen(X86ST_OUT, "r");
	while (f && fgets(line, sizeof(line), f)) {
		int bad = x86st_is_fail(line), skip = x86st_is_skip(line);

		r.fail += bad;
		r.skip += skip;
		r.ok += !bad && !skip && x86st_is_ok(line);
		if ((bad || skip) && shown++ < X86ST_LINES)
			x86st_line(out, "KSELFTEST-LINE", name, line);
		if (line[strspn(line, " \t\r\n")])
			snprintf(last, sizeof(last), "%s", line);
	}
	if (f)
		fclose(f);
	x86st_line(out, "KSELFTEST-LAST", name, last);
	fprintf(out, "KSELFTEST %s as %s: %s %d; ok %d fail %d skip %d; %.1f s\n", r.name, r.user,
		r.how, r.code, r.ok, r.fail, r.skip, r.secs);
	fflush(out);
	return r;
}

static inline int x86st_by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * Run every DIR/ *_64 but those named in SKIP (NULL-terminated), sorted,
 * on CPU cpu if cpu >= 0; how many ran, or -1 without DIR.
 */
static inline int x86st_run_all(const char *dir, int limit, int cpu, const char *const *skip,
				FILE *out)
{
	char *names[X86ST_MAX];
	int n = 0;
	struct dirent *e;
	DIR *d = opendir(dir);

	if (!d)
		return -1;
	while ((e = readdir(d)) && n < X86ST_MAX) {
		size_t len = strlen(e->d_name);
		int skipped = 0;

		for (const char *const *s = skip; s && *s; s++)
			skipped |= !strcmp(*s, e->d_name);
		if (len > 3 && !strcmp(e->d_name + len - 3, "_64") && !skipped)
			names[n++] = strdup(e->d_name);
	}
	closedir(d);
	qsort(names, (size_t)n, sizeof(names[0]), x86st_by_name);
	for (int i = 0; i < n; i++) {
		x86st_run(dir, names[i], limit, cpu, out);
		free(names[i]);
	}
	fprintf(out, "KSELFTEST DONE %d\n", n);
	fflush(out);
	return n;
}

/* Parse a "KSELFTEST NAME as USER: ..." line; 1 if it is one. */
static inline int x86st_parse(const char *line, struct x86st *r)
{
	memset(r, 0, sizeof(*r));
	return sscanf(line, "KSELFTEST %47s as %7[a-z]: %7s %d; ok %d fail %d skip %d; %lf s",
		      r->name, r->user, r->how, &r->code, &r->ok, &r->fail, &r->skip,
		      &r->secs) == 8;
}

#endif /* X86SELFTEST_H */
