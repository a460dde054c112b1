# The Debian package (cpack -G DEB in a build folder): the daemon, its commented config,
# the migrations, a system user made by postinst and a hardened systemd unit. Its
# dependencies are Debian's (dpkg-shlibdeps reads them from the binary). Tested by
# tests/package/deb_package.sh (lintian, systemd-analyze, dpkg -i).
set(_package_dir ${CMAKE_CURRENT_LIST_DIR}/package)
set(_package_out ${PROJECT_BINARY_DIR}/package)

add_custom_command(
    OUTPUT ${_package_out}/connector.conf
    COMMAND ${CMAKE_COMMAND} -E make_directory ${_package_out}
    COMMAND ${CMAKE_COMMAND} -DCONNECTOR=$<TARGET_FILE:connector>
            -DOUTPUT=${_package_out}/connector.conf -P ${_package_dir}/make-config.cmake
    DEPENDS connector ${_package_dir}/make-config.cmake
    COMMENT "Writing the packaged connector.conf")
add_custom_command(
    OUTPUT ${_package_out}/changelog.gz
    COMMAND ${CMAKE_COMMAND} -E make_directory ${_package_out}
    COMMAND gzip -9n -c ${_package_dir}/changelog > ${_package_out}/changelog.gz
    DEPENDS ${_package_dir}/changelog)
add_custom_target(package_files ALL
    DEPENDS ${_package_out}/connector.conf ${_package_out}/changelog.gz)

install(FILES ${_package_out}/connector.conf DESTINATION /etc/connector
        PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ)
install(FILES ${_package_dir}/connector.service DESTINATION /lib/systemd/system)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/adapters/store/migrations/
        DESTINATION ${CMAKE_INSTALL_DATADIR}/edxml-connector/migrations)
install(FILES ${_package_dir}/copyright ${_package_out}/changelog.gz
              ${PROJECT_SOURCE_DIR}/docs/operations.md ${PROJECT_SOURCE_DIR}/docs/log-events.md
        DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/edxml-connector)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME edxml-connector)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "signed edXML task packages between iDesk and the VDXP axis")
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION "The connector exchanges signed edXML task packages (QCVN 102:2016) between the
 iDesk document-management system and the national document interchange axis,
 keeps each task's status in agreement on both sides and writes everything to
 SQLite or PostgreSQL, with a hash-chained message log and screens for clerks,
 leaders and auditors.")
set(CPACK_PACKAGE_CONTACT "edXML task connector team <connector@example.org>")
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${_package_dir}/postinst ${_package_dir}/prerm ${_package_dir}/postrm
    ${_package_dir}/conffiles)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION TRUE)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
include(CPack)
