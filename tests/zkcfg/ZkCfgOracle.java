/*
 * zoo.cfg oracle: ZooKeeper's own reading of a zoo.cfg, printed as JSON.
 *
 *   java -cp <ZooKeeper jars>:<classes> ZkCfgOracle ZOO_CFG
 *
 * Exit 0 with {"ok": true, ...} when ZooKeeper accepts the file; exit 2 with {"ok": false, "error": ...} on stdout
 * and "zookeeper rejects ZOO_CFG: ..." on stderr when it does not; exit 3 on a usage or I/O error.
 *
 * Every reference below is to the ZooKeeper source at tag release-3.9.4 (the version tests/zkcfg/pom.xml fetches and
 * tests/zkcfg/run pins), path prefix zookeeper-server/src/main/java/org/apache/zookeeper/.
 *
 * What ZooKeeper does with a zoo.cfg (QuorumPeerMain.initializeAndRun -> QuorumPeerConfig.parse(path)):
 *   - server/quorum/QuorumPeerConfig.java:185-187  Properties cfg = new Properties(); cfg.load(new FileInputStream(f))
 *     i.e. java.util.Properties.load(InputStream): ISO-8859-1, '\' escapes and line continuations, '=' ':' or blanks
 *     as separators, '#'/'!' comments, and '\n', '\r' or "\r\n" all end a line. This oracle loads the file the same way
 *     and prints that raw view ("properties").
 *   - QuorumPeerConfig.java:194 parseProperties(cfg). parse() itself also demands that the file exists (a
 *     VerifyingFileFactory) and, when dynamicConfigFile is set, reads that second file (lines 201-244); zkc never emits
 *     dynamicConfigFile, and the oracle reports the key if someone does.
 *   - parseProperties (lines 273-493) trims every key and value (281-282), maps the keys it knows to fields (283-388),
 *     and for EVERY other key calls System.setProperty("zookeeper." + key, value) (line 389). That is how
 *     "4lw.commands.whitelist", "admin.serverPort", "snapCount", ... reach the server: as zookeeper.* system properties.
 *   - then, with no dynamicConfigFile, setupQuorumPeerConfig(zkProp, true) (line 487, 658-664): the server.N lines go
 *     to QuorumMaj(Properties) (server/quorum/flexible/QuorumMaj.java:88-108: every key starting with "server." is
 *     parsed by new QuorumServer(sid, value), server/quorum/QuorumPeer.java:309-408), then setupMyId() reads
 *     dataDir/myid (724-743), setupClientPort(), setupPeerType(), checkValidity() (783-795).
 *
 * setupMyId() reads <dataDir>/myid from the machine the parser runs on: off the pod that file is absent (the image's
 * entrypoint writes it from ZOO_MY_ID), or worse, some unrelated file (Debian's zookeeper package has
 * /var/lib/zookeeper/myid with placeholder text). So the oracle never lets ZooKeeper look at the host's dataDir:
 *   - "properties" is the untouched Properties view; "dataDir" is new File(value) of the trimmed value, which is what
 *     parseProperties stores (line 284, server/util/VerifyingFileFactory.java:37-40);
 *   - the main run gives parseProperties the same Properties except dataDir, which points at a temporary path
 *     without a myid (so setupMyId() reads nothing), and overrides checkValidity() only to stand in a server id
 *     for its myid check (line 792, "myid file is missing") while ZooKeeper's own checkValidity() runs (initLimit
 *     and syncLimit are still checked by ZooKeeper's code); "myidDeferred" says so;
 *   - "perServer" re-runs parseProperties once per server id as that pod would: dataDir is a temporary directory
 *     holding a myid with that id, so setupMyId(), setupClientPort(), setupPeerType() and checkValidity() run
 *     unmodified.
 * parseProperties writes "<configFileStr>.bak" when the ensemble is distributed and reconfigEnabled=true
 * (backupOldConfig, lines 488-492, 524-538); configFileStr is set to a temporary copy so nothing is written elsewhere.
 */

import java.io.File;
import java.io.FileInputStream;
import java.io.IOException;
import java.lang.reflect.Field;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.zookeeper.Version;
import org.apache.zookeeper.server.command.FourLetterCommands;
import org.apache.zookeeper.server.quorum.QuorumPeer.QuorumServer;
import org.apache.zookeeper.server.quorum.QuorumPeerConfig;

public final class ZkCfgOracle {

    /** QuorumPeerConfig with the off-pod myid check deferred (see the header). */
    static final class OracleConfig extends QuorumPeerConfig {
        /** True when checkValidity() ran with a stand-in server id because no myid was read. */
        boolean myidDeferred = false;

        OracleConfig(String configCopy) {
            // Read by backupOldConfig() (writes configFileStr + ".bak", lines 524-538) and by parse()'s dynamic-file
            // code, which this oracle never calls: a temporary copy, so nothing is written beside the real file.
            this.configFileStr = configCopy;
        }

        @Override
        public void checkValidity() throws IOException, ConfigException {
            // QuorumPeerConfig.java:783-795: initLimit, syncLimit and the myid check, only when isDistributed().
            if (isDistributed() && serverId == -1 && !quorumVerifier.getAllMembers().isEmpty()) {
                myidDeferred = true;
                serverId = quorumVerifier.getAllMembers().keySet().iterator().next();
                try {
                    super.checkValidity();
                } finally {
                    serverId = -1;
                }
            } else {
                super.checkValidity();
            }
        }
    }

    private ZkCfgOracle() {
    }

    public static void main(String[] args) {
        if (args.length != 1) {
            System.err.println("usage: ZkCfgOracle ZOO_CFG");
            System.exit(3);
        }
        File file = new File(args[0]);
        Properties raw = new Properties();
        // Exactly as QuorumPeerConfig.parse loads it (QuorumPeerConfig.java:185-187).
        try (FileInputStream in = new FileInputStream(file)) {
            raw.load(in);
        } catch (IOException | IllegalArgumentException e) {
            // Properties.load throws IllegalArgumentException for a malformed \\uXXXX escape; parse() turns it into
            // ConfigException("Error processing " + path) (QuorumPeerConfig.java:195-199): ZooKeeper rejects the file.
            Json j = new Json();
            j.obj().kv("ok", false).kv("file", file.getPath()).kv("zookeeperVersion", Version.getFullVersion())
                .kv("error", "Error processing " + file.getPath() + ": " + describe(e)).kv("properties", (Object) null).end();
            System.out.println(j);
            System.err.println("zookeeper rejects " + file.getPath() + ": " + describe(e));
            System.exit(2);
        }

        Path tmp = null;
        int status = 0;
        Json j = new Json();
        j.obj().kv("file", file.getPath()).kv("zookeeperVersion", Version.getFullVersion());
        j.key("properties").obj();
        Map<String, String> sorted = new TreeMap<>();
        for (String k : raw.stringPropertyNames()) {
            sorted.put(k, raw.getProperty(k));
        }
        for (Map.Entry<String, String> e : sorted.entrySet()) {
            j.kv(e.getKey(), e.getValue());
        }
        j.end();
        j.kv("propertyCount", raw.size());
        try {
            tmp = Files.createTempDirectory("zkcfg-oracle");
            Path copy = tmp.resolve("zoo.cfg");
            Files.copy(file.toPath(), copy, StandardCopyOption.REPLACE_EXISTING);
            Properties before = (Properties) System.getProperties().clone();
            OracleConfig cfg = new OracleConfig(copy.toString());
            Path noMyid = tmp.resolve("main-dataDir-without-myid");
            String error = null;
            try {
                cfg.parseProperties(withDataDir(raw, noMyid));
            } catch (Exception e) {
                error = describe(e);
            }
            if (error != null) {
                status = 2;
                j.kv("ok", false).kv("error", error);
                System.err.println("zookeeper rejects " + file.getPath() + ": " + error);
            } else {
                j.kv("ok", true).kv("error", (Object) null);
                report(j, cfg, before, raw, noMyid);
                perServer(j, raw, cfg, tmp);
            }
        } catch (IOException e) {
            System.err.println("zkcfg oracle: " + describe(e));
            System.exit(3);
        } finally {
            if (tmp != null) {
                deleteTree(tmp.toFile());
            }
        }
        j.end();
        System.out.println(j);
        System.exit(status);
    }

    private static void report(Json j, OracleConfig cfg, Properties before, Properties raw, Path substitute) {
        // The dataDir parseProperties would have stored (line 284): new File(trimmed value); dataLogDir defaults to
        // it (lines 426-428).
        String dataDir = null;
        for (Map.Entry<Object, Object> e : raw.entrySet()) {
            if (e.getKey().toString().trim().equals("dataDir")) {
                dataDir = new File(e.getValue().toString().trim()).getPath();
            }
        }
        String dataLogDir = path(cfg.getDataLogDir());
        if (substitute.toString().equals(dataLogDir)) {
            dataLogDir = dataDir;
        }
        j.kv("dataDir", dataDir).kv("dataLogDir", dataLogDir);
        InetSocketAddress client = cfg.getClientPortAddress();
        InetSocketAddress secure = cfg.getSecureClientPortAddress();
        j.kv("clientPort", client == null ? null : client.getPort())
            .kv("clientPortAddress", client == null ? null : client.getHostString())
            .kv("secureClientPort", secure == null ? null : secure.getPort())
            .kv("secureClientPortAddress", secure == null ? null : secure.getHostString());
        j.kv("tickTime", cfg.getTickTime()).kv("initLimit", cfg.getInitLimit()).kv("syncLimit", cfg.getSyncLimit())
            .kv("maxClientCnxns", cfg.getMaxClientCnxns())
            .kv("minSessionTimeout", cfg.getMinSessionTimeout()).kv("maxSessionTimeout", cfg.getMaxSessionTimeout())
            .kv("snapRetainCount", cfg.getSnapRetainCount()).kv("purgeInterval", cfg.getPurgeInterval())
            .kv("quorumListenOnAllIPs", cfg.getQuorumListenOnAllIPs())
            .kv("standaloneEnabled", QuorumPeerConfig.isStandaloneEnabled())
            .kv("reconfigEnabled", QuorumPeerConfig.isReconfigEnabled())
            .kv("distributed", cfg.isDistributed())
            .kv("peerType", String.valueOf(cfg.getPeerType()))
            .kv("myidDeferred", cfg.myidDeferred)
            // QuorumMaj, or QuorumHierarchical when any key starts with "group" or "weight" (lines 673-682,
            // createQuorumVerifier 638-657); QuorumOracleMaj with oraclePath.
            .kv("quorumVerifier", cfg.getQuorumVerifier() == null ? null : cfg.getQuorumVerifier().getClass().getSimpleName());

        j.key("voting");
        servers(j, cfg.getQuorumVerifier() == null ? null : cfg.getQuorumVerifier().getVotingMembers().values());
        j.key("observers");
        servers(j, cfg.getQuorumVerifier() == null ? null : cfg.getQuorumVerifier().getObservingMembers().values());

        // Every zookeeper.* system property that parseProperties set (QuorumPeerConfig.java:389).
        j.key("systemProperties").obj();
        Map<String, String> set = new TreeMap<>();
        for (String k : System.getProperties().stringPropertyNames()) {
            String v = System.getProperty(k);
            if (!v.equals(before.getProperty(k))) {
                set.put(k, v);
            }
        }
        for (Map.Entry<String, String> e : set.entrySet()) {
            j.kv(e.getKey(), e.getValue());
        }
        j.end();

        fourLetterWords(j);

        // server/admin/AdminServerFactory.java:41: the Jetty AdminServer is created unless the property is "false".
        // server/admin/JettyAdminServer.java:85-94: its settings and defaults (DEFAULT_* at lines 71-76).
        // Integer.getInteger/Boolean.getBoolean silently fall back to the default on a malformed value, as here.
        j.key("adminServer").obj()
            .kv("enabled", !"false".equals(System.getProperty("zookeeper.admin.enableServer")))
            .kv("serverAddress", System.getProperty("zookeeper.admin.serverAddress", "0.0.0.0"))
            .kv("serverPort", Integer.getInteger("zookeeper.admin.serverPort", 8080))
            .kv("idleTimeout", Integer.getInteger("zookeeper.admin.idleTimeout", 30000))
            .kv("commandURL", System.getProperty("zookeeper.admin.commandURL", "/commands"))
            .kv("httpVersion", Integer.getInteger("zookeeper.admin.httpVersion", 11))
            .kv("portUnification", Boolean.getBoolean("zookeeper.admin.portUnification"))
            .kv("forceHttps", Boolean.getBoolean("zookeeper.admin.forceHttps"))
            .kv("needClientAuth", Boolean.getBoolean("zookeeper.admin.needClientAuth"))
            // server/admin/Commands.java:654 and :776, both default "true".
            .kv("restoreEnabled", Boolean.parseBoolean(System.getProperty("zookeeper.admin.restore.enabled", "true")))
            .kv("snapshotEnabled", Boolean.parseBoolean(System.getProperty("zookeeper.admin.snapshot.enabled", "true")))
            .end();

        // QuorumPeerConfig.java:375-379: metricsProvider.className, and every other metricsProvider.* key with the
        // prefix cut off as the provider's configuration; line 479 loaded the class (or parseProperties threw).
        j.key("metricsProvider").obj().kv("className", cfg.getMetricsProviderClassName()).key("configuration").obj();
        Properties mp = cfg.getMetricsProviderConfiguration();
        for (String k : new TreeSet<>(mp.stringPropertyNames())) {
            j.kv(k, mp.getProperty(k));
        }
        j.end().end();
    }

    /** The whitelist as server/command/FourLetterCommands.java:194-226 computes it from the system properties. */
    @SuppressWarnings("unchecked")
    private static void fourLetterWords(Json j) {
        FourLetterCommands.resetWhiteList();
        FourLetterCommands.isEnabled("srvr"); // computes and caches the whitelist (lines 199-222)
        Set<String> enabled;
        Collection<String> known;
        try {
            Field f = FourLetterCommands.class.getDeclaredField("whiteListedCommands"); // line 156
            f.setAccessible(true);
            enabled = new TreeSet<>((Set<String>) f.get(null));
            Field c = FourLetterCommands.class.getDeclaredField("cmd2String"); // line 154, filled at 229-249
            c.setAccessible(true);
            known = new TreeSet<>(((Map<Integer, String>) c.get(null)).values());
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("FourLetterCommands changed shape: " + e, e);
        }
        List<String> unknown = new ArrayList<>();
        for (String w : enabled) {
            if (!known.contains(w)) {
                unknown.add(w);
            }
        }
        j.key("fourLetterWords").obj()
            .kv("property", System.getProperty("zookeeper.4lw.commands.whitelist"))
            .key("enabled").arr(enabled)
            .key("unknown").arr(unknown)
            .end();
    }

    private static void servers(Json j, Collection<QuorumServer> members) {
        j.arrOpen();
        if (members != null) {
            List<QuorumServer> list = new ArrayList<>(members);
            list.sort(Comparator.comparingLong(s -> s.id));
            for (QuorumServer s : list) {
                // QuorumPeer.java:309-408: addr and electionAddr are MultipleAddresses; hostname is the (last) host.
                j.obj().kv("id", s.id).kv("host", s.hostname)
                    .kv("type", String.valueOf(s.type));
                List<Object[]> q = addrs(s.addr.getAllAddresses());
                List<Object[]> e = addrs(s.electionAddr.getAllAddresses());
                j.kv("quorumPort", q.size() == 1 ? q.get(0)[1] : null)
                    .kv("electionPort", e.size() == 1 ? e.get(0)[1] : null);
                j.key("quorumAddresses").arrOpen();
                for (Object[] a : q) {
                    j.str(a[0] + ":" + a[1]);
                }
                j.arrClose();
                j.key("electionAddresses").arrOpen();
                for (Object[] a : e) {
                    j.str(a[0] + ":" + a[1]);
                }
                j.arrClose();
                j.kv("clientAddress", s.clientAddr == null ? null : s.clientAddr.getHostString() + ":" + s.clientAddr.getPort());
                j.end();
            }
        }
        j.arrClose();
    }

    private static List<Object[]> addrs(Set<InetSocketAddress> set) {
        List<Object[]> out = new ArrayList<>();
        for (InetSocketAddress a : set) {
            out.add(new Object[] {a.getHostString(), a.getPort()});
        }
        out.sort(Comparator.comparing(a -> a[0] + ":" + a[1]));
        return out;
    }

    /** Each server's own reading: the same Properties, dataDir holding a myid with that id (see the header). */
    private static void perServer(Json j, Properties raw, OracleConfig main, Path tmp) throws IOException {
        j.key("perServer").obj();
        if (main.getQuorumVerifier() != null && main.isDistributed()) {
            for (Long id : new TreeSet<>(main.getQuorumVerifier().getAllMembers().keySet())) {
                Path dir = Files.createDirectories(tmp.resolve("server-" + id));
                Files.write(dir.resolve("myid"), (id + "\n").getBytes(StandardCharsets.US_ASCII));
                OracleConfig c = new OracleConfig(tmp.resolve("zoo.cfg").toString());
                String result;
                try {
                    c.parseProperties(withDataDir(raw, dir));
                    result = c.getServerId() == id ? "ok" : "read server id " + c.getServerId();
                    if (c.myidDeferred) {
                        result = "myid not read";
                    }
                } catch (Exception e) {
                    result = describe(e);
                }
                j.kv(String.valueOf(id), result);
            }
        }
        j.end();
    }

    /** The same Properties with the keys that trim to "dataDir" (if any) replaced by one pointing at dir. */
    private static Properties withDataDir(Properties raw, Path dir) {
        Properties p = copyOf(raw);
        boolean had = false;
        for (String k : raw.stringPropertyNames()) {
            if (k.trim().equals("dataDir")) {
                p.remove(k);
                had = true;
            }
        }
        if (had) { // without one, ZooKeeper's "dataDir is not set" (lines 423-424) must still happen
            p.setProperty("dataDir", dir.toString());
        }
        return p;
    }

    private static Properties copyOf(Properties p) {
        Properties c = new Properties();
        for (String k : p.stringPropertyNames()) {
            c.setProperty(k, p.getProperty(k));
        }
        return c;
    }

    private static String path(File f) {
        return f == null ? null : f.getPath();
    }

    private static String describe(Throwable e) {
        StringBuilder sb = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (sb.length() > 0) {
                sb.append(" <- ");
            }
            sb.append(t.getClass().getSimpleName()).append(": ").append(t.getMessage());
        }
        return sb.toString();
    }

    private static void deleteTree(File f) {
        File[] children = f.listFiles();
        if (children != null) {
            for (File c : children) {
                deleteTree(c);
            }
        }
        f.delete();
    }

    /** A minimal JSON writer; strings are escaped to ASCII so that every control and non-ASCII char is visible. */
    static final class Json {
        private final StringBuilder sb = new StringBuilder();
        private boolean needComma = false;

        Json obj() {
            comma();
            sb.append('{');
            needComma = false;
            return this;
        }

        Json end() {
            sb.append('}');
            needComma = true;
            return this;
        }

        Json arrOpen() {
            comma();
            sb.append('[');
            needComma = false;
            return this;
        }

        Json arrClose() {
            sb.append(']');
            needComma = true;
            return this;
        }

        Json arr(Collection<String> items) {
            arrOpen();
            for (String s : items) {
                str(s);
            }
            return arrClose();
        }

        Json key(String k) {
            comma();
            quote(k);
            sb.append(':');
            needComma = false;
            return this;
        }

        Json kv(String k, Object v) {
            key(k);
            if (v == null) {
                sb.append("null");
            } else if (v instanceof Boolean || v instanceof Number) {
                sb.append(v);
            } else {
                quote(v.toString());
            }
            needComma = true;
            return this;
        }

        Json str(String s) {
            comma();
            quote(s);
            needComma = true;
            return this;
        }

        private void comma() {
            if (needComma) {
                sb.append(',');
            }
        }

        private void quote(String s) {
            sb.append('"');
            for (int i = 0; i < s.length(); i++) {
                char ch = s.charAt(i);
                if (ch == '"' || ch == '\\') {
                    sb.append('\\').append(ch);
                } else if (ch < 0x20 || ch > 0x7e) {
                    sb.append(String.format("\\u%04x", (int) ch));
                } else {
                    sb.append(ch);
                }
            }
            sb.append('"');
        }

        @Override
        public String toString() {
            return sb.toString();
        }
    }
}
