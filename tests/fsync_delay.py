"""Slow flash for a station process: an LD_PRELOAD shim around fsync and fdatasync.

The shim is compiled by the test (gcc) and preloaded into `chargestack run`. Each call first
sleeps for the delay written in a control file (milliseconds, re-read on every call, so a test
can start fast and slow the flash down once the station is up), then syncs for real, and
appends one line to a log file: ``main`` when the caller is the process's main thread (where
the event loop runs), ``thread`` otherwise, and the milliseconds slept.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

SHIM_SOURCE = r"""
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static long delay_ms(void) {
    const char *path = getenv("FSYNC_DELAY_FILE");
    if (path == NULL) return 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    char buf[32] = {0};
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    return n > 0 ? atol(buf) : 0;
}

static void slow_flash(void) {
    long ms = delay_ms();
    if (ms > 0) {
        struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
        while (nanosleep(&ts, &ts) != 0) {}
    }
    const char *log = getenv("FSYNC_LOG_FILE");
    if (log == NULL) return;
    int fd = open(log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) return;
    char line[64];
    int main_thread = syscall(SYS_gettid) == getpid();
    int len = snprintf(line, sizeof line, "%s %ld\n", main_thread ? "main" : "thread", ms);
    if (write(fd, line, len) < 0) {}
    close(fd);
}

int fsync(int fd) {
    static int (*real)(int) = NULL;
    if (real == NULL) real = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
    slow_flash();
    return real(fd);
}

int fdatasync(int fd) {
    static int (*real)(int) = NULL;
    if (real == NULL) real = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
    slow_flash();
    return real(fd);
}
"""


def build_shim(directory: Path) -> Path:
    """Compile the shim into ``directory``; the path of the shared object."""
    source = directory / "fsync_delay.c"
    library = directory / "libfsyncdelay.so"
    source.write_text(SHIM_SOURCE)
    subprocess.run(
        ["gcc", "-shared", "-fPIC", "-O2", "-Wall", "-o", str(library), str(source), "-ldl"],
        check=True,
        capture_output=True,
    )
    return library


@dataclass
class SlowFlash:
    """The shim's control and log files for one station process."""

    library: Path
    control: Path
    log: Path

    @classmethod
    def build(cls, directory: Path) -> SlowFlash:
        directory.mkdir(parents=True, exist_ok=True)
        flash = cls(build_shim(directory), directory / "delay_ms", directory / "fsync.log")
        flash.set_delay_ms(0)
        return flash

    def environment(self) -> dict[str, str]:
        return {
            **os.environ,
            "LD_PRELOAD": str(self.library),
            "FSYNC_DELAY_FILE": str(self.control),
            "FSYNC_LOG_FILE": str(self.log),
        }

    def set_delay_ms(self, ms: int) -> None:
        self.control.write_text(str(ms))

    def calls(self) -> list[tuple[str, int]]:
        """Every sync so far: (``main`` or ``thread``, delay in ms)."""
        if not self.log.exists():
            return []
        pairs = (line.split() for line in self.log.read_text().splitlines() if line)
        return [(who, int(ms)) for who, ms in pairs]
