#!/usr/bin/env bash
# Emulated bin/zkEnv.sh of the ZooKeeper binary distribution, sourced by zkServer.sh.
# Behaviour read from apache/zookeeper release-3.9.4 bin/zkEnv.sh (written anew, not copied):
#   ZOOCFGDIR defaults to bin/../conf (the image sets ZOOCFGDIR=/conf); sources
#   $ZOOCFGDIR/zookeeper-env.sh and $ZOOCFGDIR/java.env when present; ZOOCFG=$ZOOCFGDIR/zoo.cfg;
#   ZOO_LOG_DIR defaults to bin/../logs; JAVA from JAVA_HOME or PATH; CLASSPATH = every
#   lib/*.jar, ../zookeeper-*.jar and $ZOOCFGDIR (so logback.xml is found);
#   ZK_SERVER_HEAP (MB, default 1000) becomes -Xmx${ZK_SERVER_HEAP}m in front of SERVER_JVMFLAGS,
#   ZK_CLIENT_HEAP (default 256) likewise for CLIENT_JVMFLAGS.
# Differences: the source-tree class paths (build/, target/) and Cygwin handling are left out;
# the jar ORDER on the class path may differ from the real glob order (no duplicate classes).
ZOOBINDIR="${ZOOBINDIR:-/usr/bin}"
ZOOKEEPER_PREFIX="${ZOOBINDIR}/.."

if [ $# -gt 1 ] && [ "$1" = "--config" ]; then
    shift; ZOOCFGDIR=$1; shift
fi
if [ -z "$ZOOCFGDIR" ]; then
    if [ -e "$ZOOKEEPER_PREFIX/conf" ]; then ZOOCFGDIR="$ZOOBINDIR/../conf"; else ZOOCFGDIR="$ZOOBINDIR/../etc/zookeeper"; fi
fi
[ -f "$ZOOCFGDIR/zookeeper-env.sh" ] && . "$ZOOCFGDIR/zookeeper-env.sh"
ZOOCFG="$ZOOCFGDIR/${ZOOCFG:-zoo.cfg}"
[ -f "$ZOOCFGDIR/java.env" ] && . "$ZOOCFGDIR/java.env"
ZOO_LOG_DIR="${ZOO_LOG_DIR:-$ZOOKEEPER_PREFIX/logs}"

if [ -n "$JAVA_HOME" ] && [ -x "$JAVA_HOME/bin/java" ]; then
    JAVA="$JAVA_HOME/bin/java"
elif type -p java > /dev/null; then
    JAVA=java
else
    echo "Error: JAVA_HOME is not set and java could not be found in PATH." >&2
    exit 1
fi

CLASSPATH="$ZOOCFGDIR${CLASSPATH:+:$CLASSPATH}"
for jar in "$ZOOBINDIR"/../zookeeper-*.jar "$ZOOBINDIR"/../lib/*.jar; do
    [ -e "$jar" ] && CLASSPATH="$jar:$CLASSPATH"
done

ZK_SERVER_HEAP="${ZK_SERVER_HEAP:-1000}"
export SERVER_JVMFLAGS="-Xmx${ZK_SERVER_HEAP}m $SERVER_JVMFLAGS"
ZK_CLIENT_HEAP="${ZK_CLIENT_HEAP:-256}"
export CLIENT_JVMFLAGS="-Xmx${ZK_CLIENT_HEAP}m $CLIENT_JVMFLAGS"
