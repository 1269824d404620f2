# Thread-local misuse end-to-end tests (e2e.tls.*), included from tests/e2e/CMakeLists.txt.
# pthread keys need no recompilation: each key subkind of tls-misuse is reported exactly once,
# naming the key, with a frame at the line marked in demo/tls_key_misuse.c. The seed's
# thread-local counter (correct per-thread use) reports nothing.
#
# Cross-thread and after-exit accesses need race mode (-fsanitize=thread, linked against
# liblockwatch). Those tests are registered only once race mode's slow path calls
# lw_tls_check_access (shim/thread_ranges.c): before that they could only fail.

set(LW_DEMO_SRC ${PROJECT_SOURCE_DIR}/demo)

# lw_e2e_tls_test(<name> args...): e2e.tls.<name> runs `e2e.sh args...`, checked by check_tls.py.
function(lw_e2e_tls_test name)
  add_test(NAME e2e.tls.${name} COMMAND bash ${LW_E2E_DIR}/e2e.sh ${ARGN})
  set_tests_properties(e2e.tls.${name} PROPERTIES TIMEOUT 60 ENVIRONMENT
    "LW_BIN=$<TARGET_FILE:lockwatch_cli>;LW_SHIM=$<TARGET_FILE:lockwatch>;LW_WORK=${LW_E2E_WORK}/tls.${name};LW_CHECK=${LW_E2E_DIR}/check_tls.py")
endfunction()

# --- pthread keys: each subkind once, at its line ---------------------------------------------
foreach(kind key-never-created key-deleted key-deleted-with-values)
  string(REPLACE "-" "_" marker ${kind})
  lw_e2e_tls_test(${marker} run 1 $<TARGET_FILE:demo_tls_key_misuse> ${kind} --
    --total 1 --subkind ${kind} --key --source ${LW_DEMO_SRC}/tls_key_misuse.c --line ${marker})
endforeach()
# The leak is found as the thread ends, when none of its frames is left: the marked line is the
# pthread_create of the leaking thread.
lw_e2e_tls_test(key_value_leak run 1 $<TARGET_FILE:demo_tls_key_misuse> key-value-leak --
  --total 1 --subkind key-value-leak --key --source ${LW_DEMO_SRC}/tls_key_misuse.c
  --line key_value_leak --where create)

# --- correct per-thread use: silent ------------------------------------------------------------
lw_e2e_tls_test(counter run 0 $<TARGET_FILE:demo_thread_local_counter> -- --total 0)
lw_e2e_tls_test(key_fine run 0 $<TARGET_FILE:demo_tls_key_misuse> fine -- --total 0)

# --- race mode: escaped TLS pointers, memory of ended threads ---------------------------------
file(GLOB LW_TLS_SHIM_SOURCES ${PROJECT_SOURCE_DIR}/shim/*.c)
list(REMOVE_ITEM LW_TLS_SHIM_SOURCES ${PROJECT_SOURCE_DIR}/shim/thread_ranges.c)
set(LW_TLS_HOOKED FALSE)
set(LW_TLS_EXIT_CHECK) # --exit-stack once thread exits call lw_thread_ranges_exit
foreach(src ${LW_TLS_SHIM_SOURCES})
  file(STRINGS ${src} hits REGEX "lw_tls_check_access\\(")
  if(hits)
    set(LW_TLS_HOOKED TRUE)
  endif()
  file(STRINGS ${src} hits REGEX "lw_thread_ranges_exit\\(")
  if(hits)
    set(LW_TLS_EXIT_CHECK --exit-stack)
  endif()
endforeach()

if(LW_TLS_HOOKED)
  # Built as race mode requires: instrumented with -fsanitize=thread, linked against liblockwatch
  # (which provides the __tsan_* entry points) instead of libtsan.
  function(lw_tls_race_program name source)
    add_executable(e2e_tls_race_${name} ${source})
    target_compile_options(e2e_tls_race_${name} PRIVATE -g -O1 -fsanitize=thread)
    target_link_libraries(e2e_tls_race_${name} PRIVATE lockwatch Threads::Threads)
  endfunction()
  lw_tls_race_program(escape ${LW_DEMO_SRC}/tls_escape.c)
  lw_tls_race_program(after_exit ${LW_DEMO_SRC}/tls_after_exit.c)
  lw_tls_race_program(counter ${LW_DEMO_SRC}/thread_local_counter.c)

  lw_e2e_tls_test(race.escape run 1 $<TARGET_FILE:e2e_tls_race_escape> --
    --total 1 --subkind cross-thread-access --variable requests
    --source ${LW_DEMO_SRC}/tls_escape.c --line escape_write)
  lw_e2e_tls_test(race.after_exit_tls run 1 $<TARGET_FILE:e2e_tls_race_after_exit> tls --
    --total 1 --subkind use-after-exit --variable last_result ${LW_TLS_EXIT_CHECK}
    --source ${LW_DEMO_SRC}/tls_after_exit.c --line after_exit_tls)
  lw_e2e_tls_test(race.after_exit_stack run 1 $<TARGET_FILE:e2e_tls_race_after_exit> stack --
    --total 1 --subkind use-after-exit ${LW_TLS_EXIT_CHECK}
    --source ${LW_DEMO_SRC}/tls_after_exit.c --line after_exit_stack)
  lw_e2e_tls_test(race.handoff run 0 $<TARGET_FILE:e2e_tls_race_after_exit> handoff -- --total 0)
  lw_e2e_tls_test(race.counter run 0 $<TARGET_FILE:e2e_tls_race_counter> -- --total 0)
endif()
