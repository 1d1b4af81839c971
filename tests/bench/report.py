#!/usr/bin/env python3
"""report.py LOG JSON NOTE: the virtbench table from the VM host's console.

The console carries "VBR <env> <key> <median> <min> <max> <unit> <reps>"
per figure, "VBFAIL <env> <what>: <why>" per failure and, for lguest,
"VBPROF <env> <key> start|end <ops> <counter=value...>" at both ends of
each timed loop (t_virtbench).  Prints the table as Markdown and writes
everything as JSON: per row, lg.ko's counters per operation.
"""
import datetime
import json
import re
import sys

ENVS = ["native", "lguest", "uml", "qemu"]
# QEMU (its software CPU on the build machine's real one, outside the VM
# host: tests/bench/virtbench.sh) runs only these.
QEMU_ROWS = {"boot_true"}
# key, row, the program that measures it (for its failures)
ROWS = [
    ("ctxsw", "context switch via pipe", "vb_ctxsw"),
    ("cow", "one copy-on-write fault", "vb_cow"),
    ("exec", "exec (fork + exec + exit + wait)", "vb_exec"),
    ("fork", "fork/exit/wait", "vb_fork"),
    ("syscall", "one syscall (getpid via syscall())", "vb_syscall"),
    ("pte", "two PTE updates (mremap ping-pong)", "vb_pte"),
    ("mmap64", "mmap + touch + munmap 64 MiB", "vb_mmap"),
    ("disk4k", "4 KiB O_DIRECT disk read", "vb_disk"),
    ("disk256k", "256 KiB O_DIRECT disk read", "vb_disk"),
    ("tcp_host", "4 MiB TCP to the host", "tcp_host"),
    ("ig_ping", "inter-guest TCP ping-pong (1 byte)", "ig_ping"),
    ("ig_tcp", "inter-guest 4 MiB TCP", "ig_tcp"),
    ("compile", "compile job (tcc, the test guests)", "vb_compile"),
    ("boot_true", "boot, run /bin/true, exit (native: just /bin/true)", "boot_true"),
    ("fs_write", "shared directory: write 1 MiB (sequential, then fsync)", "vb_fs"),
    ("fs_read", "shared directory: read 1 MiB (sequential, uncached)", "vb_fs"),
    ("fs_small", "shared directory: create+write 4 KiB, stat, unlink", "vb_fs"),
]
NET = {"tcp_host", "ig_ping", "ig_tcp"}
# The per-operation columns: lg.ko counters (lguestctl --stats names).
PROF_COLS = [("world_switches", "switches/op"), ("shadow_faults", "shadow faults/op"),
             ("pf", "#PF/op"), ("ud", "#UD/op")]


def profile(marks):
    """Counter deltas over every start..end window of a row, per operation."""
    total, ops, start, windows = {}, 0, None, 0
    for phase, n, counters in marks:
        if phase == "start":
            start = counters
        elif phase == "end" and start is not None:
            for k, v in counters.items():
                total[k] = total.get(k, 0) + v - start.get(k, 0)
            ops += n
            windows += 1
            start = None
    if not ops:
        return None
    return {"ops": ops, "windows": windows,
            "per_op": {k: round(v / ops, 4) for k, v in sorted(total.items())}}


def main():
    log, out, note = sys.argv[1], sys.argv[2], sys.argv[3]
    figs, fails, info, marks = {}, [], [], {}
    with open(log, "rb") as f:
        for raw in f:
            line = raw.decode("utf-8", "replace").strip("\r\n")
            m = re.match(r"VBR (\S+) (\S+) (\S+) (\S+) (\S+) (\S+) (\d+)$", line)
            if m:
                env, key = m.group(1), m.group(2)
                figs[(env, key)] = {
                    "median": float(m.group(3)), "min": float(m.group(4)),
                    "max": float(m.group(5)), "unit": m.group(6),
                    "reps": int(m.group(7))}
                continue
            m = re.match(r"VBPROF (\S+) (\S+) (start|end) (\d+) (.*)$", line)
            if m:
                counters = {k: int(v) for k, v in
                            (w.split("=", 1) for w in m.group(5).split() if "=" in w)}
                marks.setdefault((m.group(1), m.group(2)), []).append(
                    (m.group(3), int(m.group(4)), counters))
                continue
            m = re.match(r"VBFAIL (\S+) (.*)$", line)
            if m:
                fails.append((m.group(1), m.group(2)))
            m = re.match(r"VBINFO (.*)$", line)
            if m:
                info.append(m.group(1))

    def why(env, key, prog):
        for e, what in fails:
            if e not in (env, "all"):
                continue
            if what.startswith(prog + ":") or what.startswith(key + ":") or \
                    (key in NET and what.startswith("net:")):
                return what
        return "no result; see build/bench/virtbench.log"

    def num(v):
        if v >= 100:
            return "{:,.0f}".format(v)
        return "%.1f" % v if v >= 10 else "%.2f" % v

    def cell(f):
        return "%s %s (%s–%s)" % (num(f["median"]), f["unit"], num(f["min"]), num(f["max"]))

    def per_op(v):
        if v >= 100:
            return "{:,.0f}".format(v)
        return "%.1f" % v if v >= 10 else "%.2f" % v if v >= 1 else "%.3f" % v

    rows = []
    print("| row | native | lguest | UML | QEMU TCG, outside | lguest/native | UML/native | "
          "QEMU/native | %s |" % " | ".join("lguest " + name for _, name in PROF_COLS))
    print("|---|---:|---:|---:|---:|---:|---:|---:|%s" % ("---:|" * len(PROF_COLS)))
    for key, label, prog in ROWS:
        r = {"key": key, "row": label}
        cells, ratio = [], []
        for env in ENVS:
            f = figs.get((env, key))
            r[env] = f
            if f:
                cells.append(cell(f))
            elif env == "qemu" and key not in QEMU_ROWS:
                cells.append("–")
            else:
                r[env + "_na"] = why(env, key, prog)
                cells.append("n/a (%s)" % r[env + "_na"])
        nat = figs.get(("native", key))
        for env in ("lguest", "uml", "qemu"):
            f = figs.get((env, key))
            if f and nat and nat["median"] > 0:
                r[env + "_ratio"] = round(f["median"] / nat["median"], 2)
                ratio.append("%.2f" % r[env + "_ratio"])
            else:
                ratio.append("–")
        prof = profile(marks.get(("lguest", key), []))
        if prof:
            r["lguest_profile"] = prof
            ratio += [per_op(prof["per_op"].get(c, 0)) for c, _ in PROF_COLS]
        else:
            ratio += ["–"] * len(PROF_COLS)
        rows.append(r)
        print("| %s | %s |" % (label, " | ".join(cells + ratio)))
    doc = {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d"),
        "command": "make bench",
        "note": note + "; each figure: median (min-max) over its repetitions; "
        "lguest_profile: lg.ko's counters over the timed loops, per operation",
        "info": info,
        "rows": rows,
    }
    with open(out, "w") as f:
        json.dump(doc, f, indent=1)
    print()
    print("%s; median (min–max) of each row's repetitions. JSON: %s" % (note, out))


main()
