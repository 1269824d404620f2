# Synchronisation-primitive end-to-end tests (e2e.prims.*), included from
# tests/e2e/CMakeLists.txt. They run the demos as a user would (`lockwatch run`, JSON report)
# and check: one lock-order inversion with stacks at the marked lines for inverted binary
# semaphores, spinlocks, rwlocks (write/write, read/write, writer-preferring reads) and C11
# mtx_t; silence for the cases that cannot deadlock (read-read on a reader-preferring rwlock,
# try-lock back-off, recursive relock, a semaphore handoff), with the harmless reason under
# --all; and each api-misuse subkind reported exactly once with a frame at the misuse's line.

set(LW_DEMO_SRC ${PROJECT_SOURCE_DIR}/demo)

# lw_e2e_prims_test(<name> <checker> args...): e2e.prims.<name> runs `e2e.sh args...`, whose
# report checks go to <checker> (check_report.py or check_prims.py).
function(lw_e2e_prims_test name checker)
  add_test(NAME e2e.prims.${name} COMMAND bash ${LW_E2E_DIR}/e2e.sh ${ARGN})
  set_tests_properties(e2e.prims.${name} PROPERTIES TIMEOUT 60 ENVIRONMENT
    "LW_BIN=$<TARGET_FILE:lockwatch_cli>;LW_SHIM=$<TARGET_FILE:lockwatch>;LW_WORK=${LW_E2E_WORK}/prims.${name};LW_CHECK=${LW_E2E_DIR}/${checker}")
endfunction()

# --- one inversion each ------------------------------------------------------------------------
lw_e2e_prims_test(sem_inversion check_report.py run 1 $<TARGET_FILE:demo_semaphore_inversion> --
  --real 1 --total 1 --locks 2 --threads 2 --source ${LW_DEMO_SRC}/semaphore_inversion.c
  --edges-exact --edge t0_wait_s1:t0_wait_s2 --edge t1_wait_s2:t1_wait_s1)
lw_e2e_prims_test(spin_inversion check_report.py run 1 $<TARGET_FILE:demo_spinlock_inversion> --
  --real 1 --total 1 --locks 2 --threads 2 --source ${LW_DEMO_SRC}/spinlock_inversion.c
  --edges-exact --edge t0_lock_a:t0_lock_b --edge t1_lock_b:t1_lock_a)
lw_e2e_prims_test(rwlock_write check_report.py run 1 $<TARGET_FILE:demo_rwlock_inversion> write --
  --real 1 --total 1 --locks 2 --threads 2 --source ${LW_DEMO_SRC}/rwlock_inversion.c
  --edges-exact --edge t0_take_a:t0_take_b --edge t1_take_b:t1_take_a)
lw_e2e_prims_test(rwlock_mixed check_report.py run 1 $<TARGET_FILE:demo_rwlock_inversion> mixed --
  --real 1 --total 1 --locks 2 --threads 2 --source ${LW_DEMO_SRC}/rwlock_inversion.c
  --edges-exact --edge t0_take_a:t0_take_b --edge t1_take_b:t1_take_a)
lw_e2e_prims_test(rwlock_writer_pref check_report.py run 1
  $<TARGET_FILE:demo_rwlock_inversion> read-writer-pref -- --real 1 --total 1 --locks 2)
lw_e2e_prims_test(c11_inversion check_report.py run 1 $<TARGET_FILE:demo_c11_mtx_inversion> --
  --real 1 --total 1 --locks 2 --threads 2 --source ${LW_DEMO_SRC}/c11_mtx_inversion.c
  --edges-exact --edge t0_lock_a:t0_lock_b --edge t1_lock_b:t1_lock_a)

# --- cannot deadlock: silent, and harmless with the rule's reason under --all -------------------
lw_e2e_prims_test(rwlock_read check_report.py run 0 $<TARGET_FILE:demo_rwlock_inversion> read --
  --total 0 --summary-harmless 1)
lw_e2e_prims_test(rwlock_read.all check_prims.py run --all 0
  $<TARGET_FILE:demo_rwlock_inversion> read -- --total 1 --reason "only readers of reader-preferring rwlock")
lw_e2e_prims_test(spin_trylock check_report.py run 0 $<TARGET_FILE:demo_spinlock_inversion> trylock --
  --total 0 --summary-harmless 1)
lw_e2e_prims_test(spin_trylock.all check_prims.py run --all 0
  $<TARGET_FILE:demo_spinlock_inversion> trylock -- --total 1 --reason "try-lock")
lw_e2e_prims_test(c11_recursive check_report.py run 0
  $<TARGET_FILE:demo_c11_mtx_inversion> recursive -- --total 0 --summary-harmless 0)
lw_e2e_prims_test(sem_handoff check_report.py run 0 $<TARGET_FILE:demo_semaphore_inversion_fixed> --
  --total 0 --summary-harmless 1)
lw_e2e_prims_test(sem_handoff.all check_prims.py run --all 0
  $<TARGET_FILE:demo_semaphore_inversion_fixed> -- --total 1 --reason "semaphore handoff")

# --- semaphores any thread releases (CPython's locks), and a semaphore's address reused ---------
lw_e2e_program(sem_roles sem_roles.c O1)
lw_e2e_prims_test(sem_any_releaser check_report.py run 0 $<TARGET_FILE:e2e_sem_roles> any-releaser
  -- --total 0)
lw_e2e_prims_test(sem_reused check_report.py run 1 $<TARGET_FILE:e2e_sem_roles> reused --
  --real 1 --total 1 --locks 2 --threads 2 --source ${LW_E2E_DIR}/sem_roles.c
  --edges-exact --edge t1_lock_a:t1_lock_b --edge t2_lock_b:t2_lock_a)

# --- api misuse: each subkind once, at its line ------------------------------------------------
foreach(kind unlock-not-locked unlock-by-non-owner relock destroy-locked destroy-with-waiters
             use-after-destroy exit-holding-lock cond-wait-unheld-mutex cond-two-mutexes
             sem-post-overflow fork-held-lock)
  string(REPLACE "-" "_" marker ${kind})
  lw_e2e_prims_test(misuse.${marker} check_prims.py run 1 $<TARGET_FILE:demo_api_misuse> ${kind} --
    --total 1 --misuse ${kind} --source ${LW_DEMO_SRC}/api_misuse.c --line ${marker}
    --freed-block no)
endforeach()
# Freeing the memory of a lock the thread holds is a destroy of a locked lock, and its later
# unlock is no second report (shim/intercept_free.c).
lw_e2e_prims_test(misuse.free_held check_prims.py run 1 $<TARGET_FILE:e2e_heap_reuse> held --
  --total 1 --misuse destroy-locked --source ${LW_E2E_DIR}/heap_reuse.c --line free_held
  --freed-block yes)
lw_e2e_prims_test(misuse.free_held_far check_prims.py run 1 $<TARGET_FILE:e2e_heap_reuse> held_far
  -- --total 1 --misuse destroy-locked --source ${LW_E2E_DIR}/heap_reuse.c --line free_far
  --freed-block yes)
# The same for a mapping given back (shim/intercept_mmap.c).
lw_e2e_prims_test(misuse.unmap_held check_prims.py run 1 $<TARGET_FILE:e2e_heap_reuse>
  unmap_held -- --total 1 --misuse destroy-locked --source ${LW_E2E_DIR}/heap_reuse.c
  --line unmap_held --freed-block yes)
