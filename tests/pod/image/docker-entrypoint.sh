#!/bin/bash
# Emulated /docker-entrypoint.sh of the official zookeeper image.
# Behaviour read from 31z4/zookeeper-docker, 3.9.4/docker-entrypoint.sh (written anew, not copied):
#   - started as uid 0 with zkServer.sh as the command: chown -R the data, datalog and log dirs to
#     `zookeeper`, then re-exec itself as that user through gosu;
#   - zoo.cfg is generated from the ZOO_* variables ONLY when $ZOO_CONF_DIR/zoo.cfg is absent;
#   - $ZOO_DATA_DIR/myid is written from ZOO_MY_ID, defaulting to 1 when ZOO_MY_ID is unset OR
#     EMPTY (bash ${ZOO_MY_ID:-1}), ONLY when the file is absent;
#   - then exec "$@".
# Differences from the real image: no gosu is installed here, the root branch uses setpriv (from
# the host's util-linux, visible through the read-only /usr) instead; the pod runner never runs a
# container as uid 0 unless the YAML says so.
set -e

if [ "$1" = "zkServer.sh" ] && [ "$(id -u)" = "0" ]; then
    chown -R zookeeper "$ZOO_DATA_DIR" "$ZOO_DATA_LOG_DIR" "$ZOO_LOG_DIR"
    exec setpriv --reuid=1000 --regid=1000 --init-groups -- "$0" "$@"
fi

cfg="$ZOO_CONF_DIR/zoo.cfg"
if [ ! -f "$cfg" ]; then
    printf '%s\n' \
        "dataDir=$ZOO_DATA_DIR" "dataLogDir=$ZOO_DATA_LOG_DIR" \
        "tickTime=$ZOO_TICK_TIME" "initLimit=$ZOO_INIT_LIMIT" "syncLimit=$ZOO_SYNC_LIMIT" \
        "autopurge.snapRetainCount=$ZOO_AUTOPURGE_SNAPRETAINCOUNT" \
        "autopurge.purgeInterval=$ZOO_AUTOPURGE_PURGEINTERVAL" \
        "maxClientCnxns=$ZOO_MAX_CLIENT_CNXNS" "standaloneEnabled=$ZOO_STANDALONE_ENABLED" \
        "admin.enableServer=$ZOO_ADMINSERVER_ENABLED" >> "$cfg"
    for entry in ${ZOO_SERVERS:-server.1=localhost:2888:3888;2181}; do echo "$entry" >> "$cfg"; done
    if [ -n "$ZOO_4LW_COMMANDS_WHITELIST" ]; then
        echo "4lw.commands.whitelist=$ZOO_4LW_COMMANDS_WHITELIST" >> "$cfg"
    fi
    for entry in $ZOO_CFG_EXTRA; do echo "$entry" >> "$cfg"; done
fi

if [ ! -f "$ZOO_DATA_DIR/myid" ]; then
    echo "${ZOO_MY_ID:-1}" > "$ZOO_DATA_DIR/myid"
fi

exec "$@"
