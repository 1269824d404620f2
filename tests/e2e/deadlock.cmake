# Live-deadlock end-to-end tests (e2e.deadlock.*), included from tests/e2e/CMakeLists.txt: small
# programs that really deadlock (and one that only blocks for a long time) run under
# `lockwatch run` by deadlock.sh, whose JSON reports check_deadlock.py checks. Most use
# deadlock_timeout_ms=500 to stay fast; the seed demo runs with the defaults, as a user would.

# lw_e2e_deadlock_test(<name> <case> args...): registers e2e.deadlock.<name>.
function(lw_e2e_deadlock_test name)
  add_test(NAME e2e.deadlock.${name} COMMAND bash ${LW_E2E_DIR}/deadlock.sh ${ARGN})
  set_tests_properties(e2e.deadlock.${name} PROPERTIES TIMEOUT 60 ENVIRONMENT
    "LW_BIN=$<TARGET_FILE:lockwatch_cli>;LW_SHIM=$<TARGET_FILE:lockwatch>;LW_WORK=${LW_E2E_WORK}/deadlock.${name};LW_CHECK_DEADLOCK=${LW_E2E_DIR}/check_deadlock.py")
endfunction()

set(LW_SEED_SRC ${PROJECT_SOURCE_DIR}/demo/deadlock_seed.c)
set(LW_ABORTED "killed by SIGABRT because lockwatch found a deadlock")

# (a) The seed example as written, default options: aborted within about a second, reported.
lw_e2e_deadlock_test(seed run 1 "${LW_ABORTED}" -- $<TARGET_FILE:demo_deadlock_seed> --
  --total 1 --deadlocks 1 --subkind wait-cycle --waits 2 --kinds mutex,mutex --symbols a,b
  --signal SIGABRT --source ${LW_SEED_SRC} --wait seed_t0_wait --wait seed_t1_wait)

# (a') The same with every mutex operation in glibc (the inline fast path off).
lw_e2e_deadlock_test(seed_glibc_path run 1 "${LW_ABORTED}" --mutex-fast-path 0 --
  $<TARGET_FILE:demo_deadlock_seed> --
  --total 1 --deadlocks 1 --subkind wait-cycle --waits 2 --kinds mutex,mutex --symbols a,b
  --signal SIGABRT --source ${LW_SEED_SRC} --wait seed_t0_wait --wait seed_t1_wait)

# (b) A thread relocks its own normal mutex: reported before it blocks.
lw_e2e_program(dl_relock dl_relock.c O1)
lw_e2e_deadlock_test(relock run 1 "${LW_ABORTED}" --deadlock-timeout-ms 500 --
  $<TARGET_FILE:e2e_dl_relock> --
  --total 1 --deadlocks 1 --subkind self-relock --waits 1 --kinds mutex --symbols m
  --signal SIGABRT --source ${LW_E2E_DIR}/dl_relock.c --wait relock)
lw_e2e_deadlock_test(relock_glibc_path run 1 "${LW_ABORTED}" --deadlock-timeout-ms 500
  --mutex-fast-path 0 -- $<TARGET_FILE:e2e_dl_relock> --
  --total 1 --deadlocks 1 --subkind self-relock --waits 1 --kinds mutex --symbols m
  --signal SIGABRT --source ${LW_E2E_DIR}/dl_relock.c --wait relock)

# (c) main holds a lock and joins a thread that needs it: a cycle through a join.
lw_e2e_program(dl_joincycle dl_joincycle.c O1)
lw_e2e_deadlock_test(joincycle run 1 "${LW_ABORTED}" --deadlock-timeout-ms 500 --
  $<TARGET_FILE:e2e_dl_joincycle> --
  --total 1 --deadlocks 1 --subkind wait-cycle --waits 2 --kinds join,mutex --symbols l
  --source ${LW_E2E_DIR}/dl_joincycle.c --wait worker_wait --wait main_join)

# (d) Nested-monitor lockout on a condition variable: every thread blocked.
lw_e2e_program(dl_condlockout dl_condlockout.c O1)
lw_e2e_deadlock_test(condlockout run 1 "${LW_ABORTED}" --deadlock-timeout-ms 500 --
  $<TARGET_FILE:e2e_dl_condlockout> --
  --total 1 --deadlocks 1 --subkind all-blocked --waits 3 --kinds condvar,join,mutex
  --symbols outer --source ${LW_E2E_DIR}/dl_condlockout.c --wait cond_wait
  --wait signaller_wait --wait main_join)

# (e) Long but legitimate waits (timed waits, a long critical section, a long join): nothing.
lw_e2e_program(dl_longwaits dl_longwaits.c O1)
lw_e2e_deadlock_test(longwaits run 0 - --deadlock-timeout-ms 500 --
  $<TARGET_FILE:e2e_dl_longwaits> -- --total 0 --deadlocks 0 --exit-status 0)

# (f) on_deadlock=exit: the program exits with deadlock_exit_code; the report still has it.
lw_e2e_deadlock_test(exit run 1 "found a deadlock"
  --on-deadlock exit --deadlock-exit-code 42 --deadlock-timeout-ms 500 --
  $<TARGET_FILE:demo_deadlock_seed> --
  --total 1 --deadlocks 1 --subkind wait-cycle --waits 2 --symbols a,b --exit-status 42)

# (g) on_deadlock=continue, the hung program killed by the harness: reported exactly once.
lw_e2e_deadlock_test(continue continue $<TARGET_FILE:demo_deadlock_seed> --
  --total 1 --deadlocks 1 --occurrences 1 --subkind wait-cycle --waits 2 --symbols a,b
  --signal SIGTERM)

# (h) Killed before the watchdog spoke (SIGTERM to `lockwatch run`, forwarded): the deadlock is
# rebuilt from the threads' last waits recorded in the log.
lw_e2e_deadlock_test(killed killed $<TARGET_FILE:demo_deadlock_seed> --
  --total 1 --deadlocks 1 --subkind wait-cycle --waits 2 --kinds mutex,mutex --symbols a,b
  --signal SIGTERM --source ${LW_SEED_SRC} --wait seed_t0_wait --wait seed_t1_wait)

# Bad values of the deadlock flags are refused before the program starts (exit status 2).
lw_e2e_deadlock_test(bad_flags bad_flags)
