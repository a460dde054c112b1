# Writes the packaged /etc/connector/connector.conf: `connector config defaults` (every
# setting, commented, with its help), with the values a packaged install needs set.
# Fails when a line it changes is no longer in the defaults, so that it stays true.
#   cmake -DCONNECTOR=BINARY -DOUTPUT=FILE -P make-config.cmake
execute_process(COMMAND ${CONNECTOR} config defaults
                OUTPUT_VARIABLE text RESULT_VARIABLE status)
if(NOT status EQUAL 0)
    message(FATAL_ERROR "connector config defaults failed: ${status}")
endif()

function(set_line from to)
    string(FIND "${text}" "${from}\n" at)
    if(at EQUAL -1)
        message(FATAL_ERROR "make-config.cmake: '${from}' is no longer in `connector config defaults`")
    endif()
    string(REPLACE "${from}\n" "${to}\n" changed "${text}")
    set(text "${changed}" PARENT_SCOPE)
endfunction()

set_line("# store.url = sqlite3:var/connector.db" "store.url = sqlite3:/var/lib/connector/connector.db")
set_line("# log.output = stderr" "log.output = journald")
set_line("# http.listen = " "http.listen = 127.0.0.1:8380")

set(header "# /etc/connector/connector.conf: the connector's settings (edxml-connector package).
#
# Set at least agency.code, agency.name, axis.base_url, axis.secret_file and the
# signing.* and verify.* keys. Secrets (the axis secret, the private key and its
# passphrase) must be readable by the daemon alone: chown connector: FILE; chmod 0600 FILE
# (it refuses anything looser). Then:
#   connector doctor --config /etc/connector/connector.conf
#   systemctl restart connector
# Every key, its default and its meaning follow (docs/daemon.md, docs/operations.md).

")
file(WRITE "${OUTPUT}" "${header}${text}")
