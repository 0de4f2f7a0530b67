# Helpers that declare Apsis targets and enforce the layering of ../shared/DESIGN.md.
#
# Each library exposes its headers through a private "layer" include directory that holds a single
# symlink to its own folder (for example build/layers/apsis_link/link -> <src>/link). The project
# root is never an include directory, so a file can include only the folders of the targets it
# links against: a forbidden include fails to compile.

set(APSIS_LAYER_DIR ${CMAKE_BINARY_DIR}/layers)

function(apsis_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Werror -Wno-unused-parameter)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    # g++ 12 reports false -Wrestrict positives inside std::string concatenation (GCC PR 105329).
    target_compile_options(${target} PRIVATE -Wno-restrict)
  endif()
endfunction()

# apsis_layer(<target> <folder> [HEADERS h1 h2 ...])
# Exposes <folder> (a path relative to the source root, e.g. scheduler/core) to the target's users.
# With HEADERS, only those files of the folder are exposed.
function(apsis_layer target folder)
  cmake_parse_arguments(ARG "" "" "HEADERS" ${ARGN})
  set(base ${APSIS_LAYER_DIR}/${target})
  if(ARG_HEADERS)
    file(MAKE_DIRECTORY ${base}/${folder})
    foreach(h ${ARG_HEADERS})
      if(NOT EXISTS ${base}/${folder}/${h})
        file(CREATE_LINK ${PROJECT_SOURCE_DIR}/${folder}/${h} ${base}/${folder}/${h} SYMBOLIC)
      endif()
    endforeach()
  else()
    get_filename_component(parent ${base}/${folder} DIRECTORY)
    file(MAKE_DIRECTORY ${parent})
    if(NOT EXISTS ${base}/${folder})
      file(CREATE_LINK ${PROJECT_SOURCE_DIR}/${folder} ${base}/${folder} SYMBOLIC)
    endif()
  endif()
  get_target_property(type ${target} TYPE)
  if(type STREQUAL "INTERFACE_LIBRARY")
    target_include_directories(${target} INTERFACE ${base})
  else()
    target_include_directories(${target} PUBLIC ${base})
  endif()
endfunction()

# apsis_library(<target> <folder> [DEPS ...] [EXCLUDE regex])
# A static library of every .cc in <folder> (not recursing into sub-folders that are targets of
# their own), exposing <folder> to its users and linking DEPS publicly.
function(apsis_library target folder)
  cmake_parse_arguments(ARG "" "" "DEPS;SOURCES" ${ARGN})
  if(ARG_SOURCES)
    set(sources ${ARG_SOURCES})
  else()
    file(GLOB sources CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/${folder}/*.cc)
  endif()
  add_library(${target} STATIC ${sources})
  apsis_layer(${target} ${folder})
  target_link_libraries(${target} PUBLIC ${ARG_DEPS})
  apsis_warnings(${target})
endfunction()

# apsis_executable(<target> SOURCES ... DEPS ...)
function(apsis_executable target)
  cmake_parse_arguments(ARG "" "" "DEPS;SOURCES" ${ARGN})
  add_executable(${target} ${ARG_SOURCES})
  target_link_libraries(${target} PRIVATE ${ARG_DEPS})
  apsis_warnings(${target})
endfunction()
