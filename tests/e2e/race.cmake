# Race-mode end-to-end tests (e2e.race.*), included from tests/e2e/CMakeLists.txt. Each case of
# race_cases.c (and the counter demos) is compiled at test time by race.sh with gcc and with
# clang (-fsanitize=thread, linked against liblockwatch) and run under `lockwatch run`.

set(LW_RACE_SRC ${LW_E2E_DIR}/race_cases.c)
set(LW_DEMO_SRC ${PROJECT_SOURCE_DIR}/demo)
find_program(LW_CLANG clang)
set(LW_RACE_COMPILERS gcc)
if(LW_CLANG)
  list(APPEND LW_RACE_COMPILERS clang)
endif()

# lw_race_test(<name> <compiler> <source> <rc> [program args] -- [check args]); extra ENV
# entries in LW_RACE_ENV.
function(lw_race_test name cc src rc)
  add_test(NAME e2e.race.${cc}.${name} COMMAND bash ${LW_E2E_DIR}/race.sh ${cc} ${src} ${rc} ${ARGN})
  set_tests_properties(e2e.race.${cc}.${name} PROPERTIES TIMEOUT 120 ENVIRONMENT
    "LW_BIN=$<TARGET_FILE:lockwatch_cli>;LW_SHIM=$<TARGET_FILE:lockwatch>;LW_WORK=${LW_E2E_WORK}/race.${cc}.${name};LW_CHECK=${LW_E2E_DIR}/check_race.py;LW_CLANG_RMW=1;LW_INCLUDE=${PROJECT_SOURCE_DIR}/include")
endfunction()

foreach(cc ${LW_RACE_COMPILERS})
  # The seed's counter: 2 threads x 5000 increments, one finding with both stacks at the lines.
  lw_race_test(counter_demo ${cc} ${LW_DEMO_SRC}/counter_race.c 1 2 5000 --
    --total 1 --kind unprotected-increment --symbol counter --source ${LW_DEMO_SRC}/counter_race.c
    --line read --line write --line loop)
  lw_race_test(counter_mutex_demo ${cc} ${LW_DEMO_SRC}/counter_mutex.c 0 2 5000 -- --total 0)
  lw_race_test(counter_atomic_demo ${cc} ${LW_DEMO_SRC}/counter_atomic.c 0 2 5000 -- --total 0)
  lw_race_test(racy_counter ${cc} ${LW_RACE_SRC} 1 racy_counter --
    --total 1 --kind unprotected-increment --subkind null --symbol counter
    --source ${LW_RACE_SRC} --line racy_increment)
  lw_race_test(two_mutexes ${cc} ${LW_RACE_SRC} 1 two_mutexes --
    --total 1 --kind unprotected-increment --symbol counter --source ${LW_RACE_SRC}
    --line two_mutexes)
  foreach(case mutex_ok atomic_ok createjoin_ok sem_ok condvar_ok barrier_ok once_ok fields_ok
               rwlock_ok many_locks_ok heap_reuse_ok annot_hb_ok annot_benign_ok annot_racy_ok
               pool_reuse_ok)
    lw_race_test(${case} ${cc} ${LW_RACE_SRC} 0 ${case} -- --total 0)
  endforeach()
  # A mutex's clock ends with its heap block: the next mutex there orders nothing.
  lw_race_test(heap_lock_reuse ${cc} ${LW_RACE_SRC} 1 heap_lock_reuse --
    --total 1 --kind data-race --symbol after_free --source ${LW_RACE_SRC}
    --line after_free_first --line after_free_second)
  lw_race_test(destroyed_lock_reuse ${cc} ${LW_RACE_SRC} 1 destroyed_lock_reuse --
    --total 1 --kind data-race --symbol after_destroy --source ${LW_RACE_SRC}
    --line after_destroy_first --line after_destroy_second)
  lw_race_test(stack_lock_reuse ${cc} ${LW_RACE_SRC} 1 stack_lock_reuse --
    --total 1 --kind data-race --symbol after_exit --source ${LW_RACE_SRC}
    --line after_exit_write)
  lw_race_test(many_live_threads ${cc} ${LW_RACE_SRC} 0 many_live_threads --
    --total 0 --dropped "thread table full")
  lw_race_test(sync_overflow ${cc} ${LW_RACE_SRC} 0 sync_overflow --
    --total 0 --dropped "race-mode synchronisation table full")
  lw_race_test(locked_write ${cc} ${LW_RACE_SRC} 1 locked_write --
    --total 1 --kind data-race --subkind null --symbol shared_value --source ${LW_RACE_SRC}
    --line locked_write --line unlocked_read)
  # Double-checked locking: the unlocked check races with the set (and maybe data with its use).
  lw_race_test(dcl ${cc} ${LW_RACE_SRC} 1 dcl -- --kind data-race --subkind null)
  lw_race_test(write_under_rdlock ${cc} ${LW_RACE_SRC} 1 write_under_rdlock --
    --total 1 --kind data-race --symbol shared_value --source ${LW_RACE_SRC}
    --line write_under_rdlock)
  # Shadow cells keep what they must: a write after the same thread's later reads, and three
  # entries of one thread (the compact cell expands).
  lw_race_test(kept_write ${cc} ${LW_RACE_SRC} 1 kept_write --
    --total 1 --kind data-race --subkind null --symbol kept --source ${LW_RACE_SRC}
    --line kept_write --line kept_read)
  lw_race_test(three_entries ${cc} ${LW_RACE_SRC} 1 three_entries --
    --total 1 --kind data-race --subkind null --symbol pair --source ${LW_RACE_SRC}
    --line pair_write)
  # Two access sites sharing a line of the per-thread pc cache keep their own sites.
  lw_race_test(pc_cache_collision ${cc} ${LW_RACE_SRC} 1 pc_cache_collision --
    --total 1 --kind data-race --symbol collide_b --source ${LW_RACE_SRC} --line collide_write)
  lw_race_test(predictive ${cc} ${LW_RACE_SRC} 1 predictive --
    --total 1 --kind data-race --subkind predictive --symbol x --source ${LW_RACE_SRC}
    --line predictive_first --line predictive_second)
endforeach()

# Compact shadow cells accessed by CMPXCHG16B, as on CPUs without AVX (LOCKWATCH_RACE_CELL_CAS):
# the same findings.
foreach(case racy_counter many_locks_ok three_entries)
  set(rc 1)
  set(check --total 1)
  if(case STREQUAL "many_locks_ok")
    set(rc 0)
    set(check --total 0)
  endif()
  lw_race_test(${case}_cas gcc ${LW_RACE_SRC} ${rc} ${case} -- ${check})
  set_property(TEST e2e.race.gcc.${case}_cas APPEND PROPERTY ENVIRONMENT LOCKWATCH_RACE_CELL_CAS=1)
endforeach()

# Clang's compound hooks (-mllvm -tsan-compound-read-before-write=1: one __tsan_read_write call
# per x++): the increment is still an unprotected-increment, at its line.
if(LW_CLANG)
  lw_race_test(counter_compound clang ${LW_DEMO_SRC}/counter_race.c 1 2 5000 --
    --total 1 --kind unprotected-increment --symbol counter --source ${LW_DEMO_SRC}/counter_race.c
    --line write)
  set_property(TEST e2e.race.clang.counter_compound APPEND PROPERTY ENVIRONMENT
    LW_CLANG_RMW=compound)
endif()

# The plain recipe with clang (no -mllvm flag): the race is still found; whether it is called an
# increment depends on clang keeping the read, so either kind passes.
if(LW_CLANG)
  add_test(NAME e2e.race.clang.counter_plain_recipe COMMAND bash ${LW_E2E_DIR}/race.sh clang
    ${LW_RACE_SRC} 1 racy_counter -- --total 1 --kind data-race --kind unprotected-increment
    --symbol counter)
  set_tests_properties(e2e.race.clang.counter_plain_recipe PROPERTIES TIMEOUT 120 ENVIRONMENT
    "LW_BIN=$<TARGET_FILE:lockwatch_cli>;LW_SHIM=$<TARGET_FILE:lockwatch>;LW_WORK=${LW_E2E_WORK}/race.clang.plain;LW_CHECK=${LW_E2E_DIR}/check_race.py;LW_INCLUDE=${PROJECT_SOURCE_DIR}/include")
endif()

# Watches (no rebuild): watch_cases.c compiled as a plain program, run with --watch counter.
foreach(case racy mutex segv handler fork)
  add_test(NAME e2e.race.watch.${case} COMMAND bash ${LW_E2E_DIR}/watch.sh ${case})
  set_tests_properties(e2e.race.watch.${case} PROPERTIES TIMEOUT 120 ENVIRONMENT
    "LW_BIN=$<TARGET_FILE:lockwatch_cli>;LW_SHIM=$<TARGET_FILE:lockwatch>;LW_WORK=${LW_E2E_WORK}/race.watch.${case};LW_CHECK=${LW_E2E_DIR}/check_race.py;LW_SRC=${LW_E2E_DIR}/watch_cases.c")
endforeach()
