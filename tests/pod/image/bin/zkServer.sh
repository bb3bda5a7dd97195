#!/usr/bin/env bash
# Emulated bin/zkServer.sh of the ZooKeeper binary distribution (the image's CMD is
# `zkServer.sh start-foreground`). Behaviour read from apache/zookeeper release-3.9.4
# bin/zkServer.sh (written anew, not copied):
#   sources zkEnv.sh; JMX on by default (-Dcom.sun.management.jmxremote
#   -Dcom.sun.management.jmxremote.local.only=$JMXLOCALONLY, default false) unless JMXDISABLE is
#   set to something other than false, remote JMX flags when JMXPORT is set;
#   JVMFLAGS="$SERVER_JVMFLAGS $JVMFLAGS"; a second argument names another config in $ZOOCFGDIR;
#   reads dataDir from zoo.cfg and mkdir -p's it; mkdir -p $ZOO_LOG_DIR when not writable;
#   ZOO_LOG_FILE defaults to zookeeper-$USER-server-$HOSTNAME.log;
#   start-foreground: exec java -Dzookeeper.log.dir=… -Dzookeeper.log.file=…
#     -XX:+HeapDumpOnOutOfMemoryError -XX:OnOutOfMemoryError='kill -9 %p' -cp CLASSPATH
#     $JVMFLAGS <main> $ZOOCFG   (without exec when ZOO_NOEXEC is set);
#   status: FourLetterWordMain srvr against clientPortAddress (default localhost):clientPort,
#     prints the Mode line, exit 1 "Error contacting service" otherwise.
# Differences: only start-foreground, status, print-cmd and version are emulated (start/stop/
# restart, the daemon mode, exit 1 here); status does not look for the client port in
# server.N lines, the dynamic config or secureClientPort; ZOO_DATADIR_AUTOCREATE_DISABLE is kept.
ZOOBIN="$(dirname "${BASH_SOURCE-$0}")"
ZOOBINDIR="$(cd "$ZOOBIN" && pwd)"
. "$ZOOBINDIR/zkEnv.sh"

JMXLOCALONLY="${JMXLOCALONLY:-false}"
main=org.apache.zookeeper.server.quorum.QuorumPeerMain
if [ -z "$JMXDISABLE" ] || [ "$JMXDISABLE" = false ]; then
    echo "ZooKeeper JMX enabled by default" >&2
    if [ -z "$JMXPORT" ]; then
        ZOOMAIN="-Dcom.sun.management.jmxremote -Dcom.sun.management.jmxremote.local.only=$JMXLOCALONLY $main"
    else
        ZOOMAIN="-Dcom.sun.management.jmxremote -Dcom.sun.management.jmxremote.port=$JMXPORT -Dcom.sun.management.jmxremote.authenticate=${JMXAUTH:-false} -Dcom.sun.management.jmxremote.ssl=${JMXSSL:-false} -Dzookeeper.jmx.log4j.disable=${JMXLOG4J:-true} $main"
        [ -n "$JMXHOSTNAME" ] && ZOOMAIN="-Djava.rmi.server.hostname=$JMXHOSTNAME $ZOOMAIN"
    fi
else
    echo "JMX disabled by user request" >&2
    ZOOMAIN=$main
fi
[ -n "$SERVER_JVMFLAGS" ] && JVMFLAGS="$SERVER_JVMFLAGS $JVMFLAGS"
[ -n "$2" ] && ZOOCFG="$ZOOCFGDIR/$2"
[ "$(dirname "$ZOOCFG")" != "$ZOOCFGDIR" ] && ZOOCFG="$2"
echo "Using config: $ZOOCFG" >&2

cfg_value() { grep "^[[:space:]]*$1" "$ZOOCFG" | sed -e 's/.*=//' -e 's/^[[:space:]]*//' -e 's/[[:space:]]*$//'; }
ZOO_DATADIR="$(cfg_value dataDir)"
if [ -n "$ZOO_DATADIR_AUTOCREATE_DISABLE" ]; then
    [ -d "$ZOO_DATADIR/version-2" ] || { echo "ZooKeeper data directory is missing at $ZOO_DATADIR fix the path or run initialize"; exit 1; }
    ZOO_DATADIR_AUTOCREATE="-Dzookeeper.datadir.autocreate=false"
fi
if [ -z "$ZOOPIDFILE" ]; then
    [ -d "$ZOO_DATADIR" ] || mkdir -p "$ZOO_DATADIR"
fi
[ -w "$ZOO_LOG_DIR" ] || mkdir -p "$ZOO_LOG_DIR"
ZOO_LOG_FILE=${ZOO_LOG_FILE:-zookeeper-$USER-server-$HOSTNAME.log}

case $1 in
start-foreground)
    run=(exec "$JAVA")
    [ -n "$ZOO_NOEXEC" ] && run=("$JAVA")
    "${run[@]}" $ZOO_DATADIR_AUTOCREATE "-Dzookeeper.log.dir=${ZOO_LOG_DIR}" \
        "-Dzookeeper.log.file=${ZOO_LOG_FILE}" \
        -XX:+HeapDumpOnOutOfMemoryError -XX:OnOutOfMemoryError='kill -9 %p' \
        -cp "$CLASSPATH" $JVMFLAGS $ZOOMAIN "$ZOOCFG"
    ;;
print-cmd)
    echo "\"$JAVA\" $ZOO_DATADIR_AUTOCREATE -Dzookeeper.log.dir=\"${ZOO_LOG_DIR}\" -Dzookeeper.log.file=\"${ZOO_LOG_FILE}\" -XX:+HeapDumpOnOutOfMemoryError -XX:OnOutOfMemoryError='kill -9 %p' -cp \"$CLASSPATH\" $JVMFLAGS $ZOOMAIN \"$ZOOCFG\""
    ;;
version)
    "$JAVA" -cp "$CLASSPATH" org.apache.zookeeper.version.VersionInfoMain 2> /dev/null
    ;;
status)
    address="$(grep "^[[:space:]]*clientPortAddress[^[:alpha:]]" "$ZOOCFG" | sed -e 's/.*=//')"
    port="$(grep "^[[:space:]]*clientPort[^[:alpha:]]" "$ZOOCFG" | sed -e 's/.*=//')"
    echo "Client port found: $port. Client address: ${address:-localhost}. Client SSL: false."
    mode="$("$JAVA" "-Dzookeeper.log.dir=${ZOO_LOG_DIR}" "-Dzookeeper.log.file=${ZOO_LOG_FILE}" \
        -cp "$CLASSPATH" $CLIENT_JVMFLAGS $JVMFLAGS org.apache.zookeeper.client.FourLetterWordMain \
        "${address:-localhost}" "$port" srvr false 2> /dev/null | grep Mode)"
    if [ -z "$mode" ]; then echo "Error contacting service. It is probably not running."; exit 1; fi
    echo $mode
    ;;
*)
    echo "zkServer.sh $1: not emulated by the pod runner (tests/pod/image/bin/zkServer.sh)" >&2
    exit 1
    ;;
esac
