# Finds SOCI 4 with its MySQL and SQLite3 backends. Debian's libsoci-dev ships headers and
# libraries but no CMake package, so they are located by hand. Defines SOCI::SOCI.
find_path(SOCI_INCLUDE_DIR soci/soci.h)
find_library(SOCI_CORE_LIBRARY soci_core)
find_library(SOCI_MYSQL_LIBRARY soci_mysql)
find_library(SOCI_SQLITE3_LIBRARY soci_sqlite3)
find_path(MYSQL_INCLUDE_DIR mysql.h PATH_SUFFIXES mysql mariadb)
find_library(MYSQL_LIBRARY NAMES mariadb mysqlclient)
find_package(SQLite3 REQUIRED)
find_package(Boost REQUIRED)  # SOCI's headers include Boost headers when SOCI was built with it

include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(SOCI REQUIRED_VARS SOCI_INCLUDE_DIR SOCI_CORE_LIBRARY
  SOCI_MYSQL_LIBRARY SOCI_SQLITE3_LIBRARY MYSQL_INCLUDE_DIR MYSQL_LIBRARY)

if(SOCI_FOUND AND NOT TARGET SOCI::SOCI)
  add_library(SOCI::SOCI INTERFACE IMPORTED)
  set_target_properties(SOCI::SOCI PROPERTIES
    INTERFACE_INCLUDE_DIRECTORIES "${SOCI_INCLUDE_DIR};${MYSQL_INCLUDE_DIR};${Boost_INCLUDE_DIRS}"
    INTERFACE_LINK_LIBRARIES
      "${SOCI_MYSQL_LIBRARY};${SOCI_SQLITE3_LIBRARY};${SOCI_CORE_LIBRARY};${MYSQL_LIBRARY};SQLite::SQLite3;${CMAKE_DL_LIBS}")
endif()
