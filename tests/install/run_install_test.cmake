# cmake -P script behind the install_find_package CTest test:
#   1. cmake --install ZP_BUILD_DIR into ZP_WORK_DIR/prefix
#   2. configure + build tests/install against that prefix (and nothing else of the tree)
#   3. run the consumer
# Inputs: ZP_BUILD_DIR ZP_CONFIG ZP_CONSUMER_SOURCE_DIR ZP_WORK_DIR ZP_GENERATOR
#         ZP_CXX_COMPILER ZP_C_COMPILER
foreach(v ZP_BUILD_DIR ZP_CONSUMER_SOURCE_DIR ZP_WORK_DIR ZP_GENERATOR ZP_CXX_COMPILER)
  if(NOT DEFINED ${v} OR "${${v}}" STREQUAL "")
    message(FATAL_ERROR "run_install_test.cmake: ${v} is not set")
  endif()
endforeach()

set(prefix ${ZP_WORK_DIR}/prefix)
set(consumer_build ${ZP_WORK_DIR}/build)
file(REMOVE_RECURSE ${ZP_WORK_DIR})
file(MAKE_DIRECTORY ${ZP_WORK_DIR})

function(step what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(NOT rc EQUAL 0)
    message("${out}")
    message(FATAL_ERROR "install test: ${what} failed (${rc})")
  endif()
  message(STATUS "install test: ${what}: ok")
endfunction()

set(config_args)
if(ZP_CONFIG)
  set(config_args --config ${ZP_CONFIG})
endif()
step("cmake --install" ${CMAKE_COMMAND} --install ${ZP_BUILD_DIR} --prefix ${prefix} ${config_args})

file(GLOB config_file ${prefix}/lib/cmake/zproto/zprotoConfig.cmake
  ${prefix}/lib/*/cmake/zproto/zprotoConfig.cmake)
if(NOT config_file)
  message(FATAL_ERROR "install test: zprotoConfig.cmake missing from ${prefix}")
endif()
foreach(f include/zp/engine/shard.h include/zp/result.h)
  if(NOT EXISTS ${prefix}/${f})
    message(FATAL_ERROR "install test: ${f} missing from ${prefix}")
  endif()
endforeach()

set(launcher)
find_program(ccache ccache)
if(ccache)
  set(launcher -DCMAKE_CXX_COMPILER_LAUNCHER=${ccache})
endif()
set(build_type Release)
if(ZP_CONFIG)
  set(build_type ${ZP_CONFIG})
endif()
step("configure the consumer"
  ${CMAKE_COMMAND} -S ${ZP_CONSUMER_SOURCE_DIR} -B ${consumer_build} -G ${ZP_GENERATOR}
    -DCMAKE_BUILD_TYPE=${build_type}
    -DCMAKE_CXX_COMPILER=${ZP_CXX_COMPILER}
    -DCMAKE_PREFIX_PATH=${prefix}
    -DCMAKE_FIND_PACKAGE_NO_PACKAGE_REGISTRY=ON
    ${launcher})
step("build the consumer" ${CMAKE_COMMAND} --build ${consumer_build})

execute_process(COMMAND ${consumer_build}/zproto_install_check RESULT_VARIABLE rc
  OUTPUT_VARIABLE out ERROR_VARIABLE out)
message("${out}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "install test: the consumer failed (${rc})")
endif()
message(STATUS "install test: the consumer ran: ok")
