# zp_add_library(NAME SOURCES... [DEPS ...]) -> target zp_NAME, alias zproto::NAME,
# public headers in <folder>/include, exported for find_package(zproto).
function(zp_add_library name)
  cmake_parse_arguments(A "" "" "SOURCES;DEPS;PRIVATE_DEPS" ${ARGN})
  if(A_SOURCES)
    add_library(zp_${name} STATIC ${A_SOURCES})
    set(scope PUBLIC)
  else()
    add_library(zp_${name} INTERFACE)
    set(scope INTERFACE)
  endif()
  add_library(zproto::${name} ALIAS zp_${name})
  set_target_properties(zp_${name} PROPERTIES EXPORT_NAME ${name} POSITION_INDEPENDENT_CODE ON)
  target_include_directories(zp_${name} ${scope}
    $<BUILD_INTERFACE:${CMAKE_CURRENT_SOURCE_DIR}/include>
    $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
  target_compile_features(zp_${name} ${scope} cxx_std_20)
  if(A_DEPS)
    target_link_libraries(zp_${name} ${scope} ${A_DEPS})
  endif()
  if(A_PRIVATE_DEPS)
    target_link_libraries(zp_${name} PRIVATE ${A_PRIVATE_DEPS})
  endif()
  install(TARGETS zp_${name} EXPORT zprotoTargets
    ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
    LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
  # Headers: one install rule per include folder, however many targets share it.
  set(inc ${CMAKE_CURRENT_SOURCE_DIR}/include)
  get_property(installed GLOBAL PROPERTY ZP_INSTALLED_INCLUDE_DIRS)
  if(EXISTS ${inc} AND NOT inc IN_LIST installed)
    set_property(GLOBAL APPEND PROPERTY ZP_INSTALLED_INCLUDE_DIRS ${inc})
    install(DIRECTORY ${inc}/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
  endif()
endfunction()

# zp_add_test(NAME SOURCES... DEPS ...) -> gtest executable registered with CTest.
function(zp_add_test name)
  cmake_parse_arguments(A "" "TIMEOUT" "SOURCES;DEPS;LABELS" ${ARGN})
  add_executable(${name} ${A_SOURCES})
  target_link_libraries(${name} PRIVATE ${A_DEPS} GTest::gtest GTest::gmock GTest::gtest_main)
  if(NOT A_TIMEOUT)
    set(A_TIMEOUT 120)
  endif()
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60 PROPERTIES TIMEOUT ${A_TIMEOUT} LABELS "${A_LABELS}")
endfunction()

# zp_add_interop_test(NAME SOURCES... [DEPS ...] [TIMEOUT s] [CERTS]) -> a test of the zproto
# binary against real Debian peers on loopback: labelled interop, ZPROTO_BIN set to the built
# binary (and built before it), CERTS: ZP_MAKE_CERTS names tests/common/make_test_certs.sh.
# Only where the zproto binary is built (ZP_BUILD_TOOLS).
function(zp_add_interop_test name)
  cmake_parse_arguments(A "CERTS" "TIMEOUT" "SOURCES;DEPS" ${ARGN})
  if(NOT TARGET zproto)
    return()
  endif()
  if(NOT A_TIMEOUT)
    set(A_TIMEOUT 300)
  endif()
  zp_add_test(${name} SOURCES ${A_SOURCES} DEPS ${A_DEPS} LABELS interop TIMEOUT ${A_TIMEOUT})
  target_compile_definitions(${name} PRIVATE ZPROTO_BIN="$<TARGET_FILE:zproto>")
  if(A_CERTS)
    target_compile_definitions(${name} PRIVATE ZP_MAKE_CERTS="${PROJECT_SOURCE_DIR}/tests/common/make_test_certs.sh")
  endif()
  add_dependencies(${name} zproto)
endfunction()

# zp_add_codec(NAME SOURCES ... TESTS ... FUZZ file.cpp BENCH ... CORPUS dir)
# One call gives a codec its library (zproto::codec_NAME), unit test, libFuzzer target
# (ZP_FUZZ=ON, clang), a corpus-replay CTest test (always) and a Google Benchmark.
function(zp_add_codec name)
  cmake_parse_arguments(A "" "FUZZ;CORPUS" "SOURCES;DEPS;TESTS;BENCH" ${ARGN})
  zp_add_library(codec_${name} SOURCES ${A_SOURCES} DEPS ${A_DEPS})
  if(ZP_BUILD_TESTS AND A_TESTS)
    zp_add_test(codec_${name}_test SOURCES ${A_TESTS} DEPS zproto::codec_${name})
  endif()
  if(A_FUZZ)
    if(ZP_FUZZ)
      # The fuzzer links its own copy of the codec built with coverage instrumentation, so
      # libFuzzer is guided by the codec's sources too; the plain library stays linkable
      # without the libFuzzer runtime (tests, replay).
      add_library(zp_codec_${name}_fuzz STATIC ${A_SOURCES})
      target_include_directories(zp_codec_${name}_fuzz PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}/include)
      target_compile_features(zp_codec_${name}_fuzz PUBLIC cxx_std_20)
      target_compile_options(zp_codec_${name}_fuzz PRIVATE -fsanitize=fuzzer-no-link)
      if(A_DEPS)
        target_link_libraries(zp_codec_${name}_fuzz PUBLIC ${A_DEPS})
      endif()
      add_executable(fuzz_${name} ${A_FUZZ})
      target_compile_options(fuzz_${name} PRIVATE -fsanitize=fuzzer)
      target_link_options(fuzz_${name} PRIVATE -fsanitize=fuzzer)
      target_link_libraries(fuzz_${name} PRIVATE zp_codec_${name}_fuzz)
    endif()
    if(ZP_BUILD_TESTS)
      # The same entry point driven by a plain main over the corpus: CI replays it without libFuzzer.
      add_executable(fuzz_replay_${name} ${A_FUZZ} ${PROJECT_SOURCE_DIR}/tests/fuzz/replay_main.cpp)
      target_link_libraries(fuzz_replay_${name} PRIVATE zproto::codec_${name})
      add_test(NAME fuzz_replay_${name} COMMAND fuzz_replay_${name} ${A_CORPUS})
    endif()
  endif()
  if(ZP_BUILD_BENCH AND A_BENCH)
    add_executable(bench_${name} ${A_BENCH})
    target_link_libraries(bench_${name} PRIVATE zproto::codec_${name} benchmark::benchmark benchmark::benchmark_main)
  endif()
endfunction()

# zp_add_service(NAME SOURCES...) -> zproto::NAME_service: the service as `zproto serve` runs
# it (its zp::NAME::service_definition(): config section, flags, default config). The call
# registers it: the zproto CLI generates its service table from these calls, in the order of
# the add_subdirectory() lines in services/CMakeLists.txt.
function(zp_add_service name)
  cmake_parse_arguments(A "" "" "SOURCES;DEPS" ${ARGN})
  zp_add_library(${name}_service SOURCES ${A_SOURCES} DEPS zproto::${name} zproto::service ${A_DEPS})
  set_property(GLOBAL APPEND PROPERTY ZP_SERVICES ${name})
endfunction()
