// SPDX-License-Identifier: GPL-2.0
/*
 * A "kernel compile"-like job: compile every C file of a fixed set, one
 * compiler process per file, as make would.  The compiler is tcc
 * (Debian's tcc package); the set is lguest's freestanding test guests
 * (the files in tests/guests/ that tcc accepts), with their headers.
 *
 *	vb_compile DIR [reps]
 *
 * DIR holds bin/tcc, tccinc/ (tcc's own headers), inc/ (the rest) and
 * src/ (the files, and the list of them in src/FILES).  Objects go to
 * /tmp.
 */
#include <sys/wait.h>

#include "bench.h"

static const char *dir;
static char files[64][128];
static int nfiles;

static void compile(const char *file)
{
	pid_t pid = fork();
	int st;

	if (pid < 0)
		vb_die("fork");
	if (pid == 0) {
		char tcc[256], tccinc[256], inc[256], src[512];

		snprintf(tcc, sizeof(tcc), "%s/bin/tcc", dir);
		snprintf(tccinc, sizeof(tccinc), "-I%s/tccinc", dir);
		snprintf(inc, sizeof(inc), "-I%s/inc", dir);
		snprintf(src, sizeof(src), "%s/src/%s", dir, file);
		execl(tcc, tcc, "-nostdinc", "-w", tccinc, inc, "-O2", "-c", src, "-o", "/tmp/vb_compile.o",
		      (char *)NULL);
		_exit(127);
	}
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st)) {
		fprintf(stderr, "vb_compile: tcc failed on %s\n", file);
		exit(1);
	}
}

static void jobs(long iters)
{
	for (long i = 0; i < iters; i++)
		for (int f = 0; f < nfiles; f++)
			compile(files[f]);
}

int main(int argc, char **argv)
{
	int reps = 3;
	long iters = 1;
	char list[512];
	FILE *fp;

	if (argc < 2) {
		fprintf(stderr, "usage: vb_compile DIR [reps]\n");
		return 2;
	}
	dir = argv[1];
	vb_args(argc, argv, 2, &reps, &iters);
	snprintf(list, sizeof(list), "%s/src/FILES", dir);
	fp = fopen(list, "r");
	if (!fp)
		vb_die(list);
	while (nfiles < 64 && fscanf(fp, "%127s", files[nfiles]) == 1)
		nfiles++;
	fclose(fp);
	if (!nfiles) {
		fprintf(stderr, "vb_compile: %s lists no files\n", list);
		return 1;
	}
	vb_run("compile", "ms", 1e6, reps, iters, jobs);
	return 0;
}
