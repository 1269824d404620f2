# CI gate end-to-end tests (e2e.gate.*), included from tests/e2e/CMakeLists.txt: `lockwatch
# check`, `baseline`, suppressions, SARIF, JUnit, `graph`, merging of many logs, the text
# report's polish, help coverage and `cmake --install`, driven by gate.sh. ci_gate.c is built
# twice: with one inversion (old_a/old_b) and, with -DNEW_INVERSION, with a second one.

lw_e2e_program(ci_gate_old ci_gate.c O1)
lw_e2e_program(ci_gate_new ci_gate.c O1)
target_compile_definitions(e2e_ci_gate_new PRIVATE NEW_INVERSION)

# lw_e2e_gate_test(<name> args...): registers e2e.gate.<name> running `gate.sh <name> args...`.
function(lw_e2e_gate_test name)
  add_test(NAME e2e.gate.${name} COMMAND bash ${LW_E2E_DIR}/gate.sh ${name} ${ARGN})
  set_tests_properties(e2e.gate.${name} PROPERTIES TIMEOUT 120 ENVIRONMENT
    "LW_BIN=$<TARGET_FILE:lockwatch_cli>;LW_SHIM=$<TARGET_FILE:lockwatch>;LW_WORK=${LW_E2E_WORK}/gate.${name};LW_E2E_DIR=${LW_E2E_DIR};LW_SOURCE_DIR=${PROJECT_SOURCE_DIR};LW_BUILD_DIR=${PROJECT_BINARY_DIR};LW_OLD=$<TARGET_FILE:e2e_ci_gate_old>;LW_NEW=$<TARGET_FILE:e2e_ci_gate_new>;LW_API_MISUSE=$<TARGET_FILE:demo_api_misuse>")
endfunction()

foreach(case check run_check suppressions print_suppressions sarif sarif_misuse junit graph merge
             text help)
  lw_e2e_gate_test(${case})
endforeach()
lw_e2e_gate_test(install)
# Validation against the published SARIF 2.1.0 schema, fetched once from the npm registry
# (sarif_schema.py); skipped (77) only when the schema cannot be fetched.
lw_e2e_gate_test(sarif_schema)
set_tests_properties(e2e.gate.sarif_schema PROPERTIES SKIP_RETURN_CODE 77)
