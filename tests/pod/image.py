"""The official `zookeeper` image, emulated as a root file system directory.

Source read: 31z4/zookeeper-docker (docker-library's `library/zookeeper`), 3.9.4/Dockerfile:
  FROM eclipse-temurin:17-jre-jammy; user/group zookeeper 1000:1000; mkdir /datalog /data /conf
  /logs owned by zookeeper; apt-get install netcat (OpenBSD flavour on jammy), gosu, wget, gnupg;
  the binary tarball unpacked at /apache-zookeeper-3.9.4-bin (chown -R zookeeper), its conf/*
  MOVED into /conf (so the distribution's conf/ is left empty); WORKDIR /apache-zookeeper-3.9.4-bin;
  VOLUME /data /datalog /logs; EXPOSE 2181 2888 3888 8080;
  ENV ZOO_CONF_DIR=/conf ZOO_DATA_DIR=/data ZOO_DATA_LOG_DIR=/datalog ZOO_LOG_DIR=/logs
      ZOO_TICK_TIME=2000 ZOO_INIT_LIMIT=5 ZOO_SYNC_LIMIT=2 ZOO_AUTOPURGE_PURGEINTERVAL=0
      ZOO_AUTOPURGE_SNAPRETAINCOUNT=3 ZOO_MAX_CLIENT_CNXNS=60 ZOO_STANDALONE_ENABLED=true
      ZOO_ADMINSERVER_ENABLED=true PATH=$PATH:/apache-zookeeper-3.9.4-bin/bin ZOOCFGDIR=/conf;
  ENTRYPOINT ["/docker-entrypoint.sh"]; CMD ["zkServer.sh", "start-foreground"].

What differs from the real image (stated once, here):
  - The user land (/usr: bash, coreutils, nc, java) is the HOST's Debian 12, bound read-only, not
    Ubuntu jammy's; `nc` is Debian's netcat-openbsd, the same OpenBSD flavour jammy's `netcat`
    package pulls in. The JRE is Debian's OpenJDK 17 (the image: Eclipse Temurin 17); it is linked
    at /opt/java/openjdk, where the temurin base image puts its JRE, and JAVA_HOME points there.
    LANG/LC_ALL of the temurin base are not set. gosu is not installed.
  - lib/ for 3.9.x holds the jars Maven Central serves for that release (tests/pod/pom.xml: the
    artifacts the release's assembly puts into the tarball's lib/), not the tarball itself.
  - --zk-version 3.8 uses Debian's zookeeper 3.8.0 jars (apt) with slf4j-simple instead of logback,
    laid out as /apache-zookeeper-3.8.0-bin; Debian's jar finds its dependencies in /usr/share/java
    through its manifest Class-Path. No Prometheus metrics provider exists for it.
  - bin/ holds only zkEnv.sh and zkServer.sh, written for this runner (tests/pod/image/bin).
"""

import hashlib
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
IMAGE_SRC = os.path.join(HERE, "image")
CACHE = os.environ.get("ZKC_POD_CACHE", os.path.expanduser("~/.cache/zkc-pod-runner"))
JDK = "/usr/lib/jvm/java-17-openjdk-amd64"

# --zk-version → (distribution version, where the jars come from)
VERSIONS = {"3.9.4": ("3.9.4", "maven"), "3.8": ("3.8.0", "debian")}
DEBIAN_JARS = ["zookeeper-3.8.0.jar", "zookeeper-jute-3.8.0.jar", "slf4j-simple.jar", "servlet-api.jar"]


class Image:
    def __init__(self, rootfs, version, source):
        self.rootfs = rootfs
        self.version = version
        self.source = source
        self.dist = f"/apache-zookeeper-{version}-bin"
        self.entrypoint = ["/docker-entrypoint.sh"]
        self.cmd = ["zkServer.sh", "start-foreground"]
        self.workdir = self.dist
        # ENV of the Dockerfile (and JAVA_HOME/PATH of the temurin base), in order
        self.env = [
            ("PATH", f"/opt/java/openjdk/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:{self.dist}/bin"),
            ("JAVA_HOME", "/opt/java/openjdk"),
            ("ZOO_CONF_DIR", "/conf"), ("ZOO_DATA_DIR", "/data"), ("ZOO_DATA_LOG_DIR", "/datalog"),
            ("ZOO_LOG_DIR", "/logs"), ("ZOO_TICK_TIME", "2000"), ("ZOO_INIT_LIMIT", "5"),
            ("ZOO_SYNC_LIMIT", "2"), ("ZOO_AUTOPURGE_PURGEINTERVAL", "0"),
            ("ZOO_AUTOPURGE_SNAPRETAINCOUNT", "3"), ("ZOO_MAX_CLIENT_CNXNS", "60"),
            ("ZOO_STANDALONE_ENABLED", "true"), ("ZOO_ADMINSERVER_ENABLED", "true"),
            ("ZOOCFGDIR", "/conf"),
        ]
        # the Dockerfile has no USER: the container runs as root unless the pod says otherwise,
        # and the entrypoint then chowns and drops to zookeeper (1000:1000)
        self.uid = self.gid = 0
        self.passwd = {0: 0, 65534: 65534, 1000: 1000}  # uid → primary gid, from the etc/passwd below


def _fingerprint(version):
    h = hashlib.sha256(version.encode())
    for base, _, files in sorted(os.walk(IMAGE_SRC)):
        for f in sorted(files):
            p = os.path.join(base, f)
            h.update(p[len(IMAGE_SRC):].encode())
            with open(p, "rb") as fh:
                h.update(fh.read())
    with open(os.path.join(HERE, "pom.xml"), "rb") as fh:
        h.update(fh.read())
    return h.hexdigest()[:12]


def _jars(version, source, dest):
    os.makedirs(dest)
    if source == "maven":
        # copy-dependencies reads ~/.m2 (warm) or Maven Central (cold)
        subprocess.run(["mvn", "-q", "-B", "-Dstyle.color=never", "-f", os.path.join(HERE, "pom.xml"), f"-Dzk.version={version}",
                        "dependency:copy-dependencies", "-DincludeScope=runtime", f"-DoutputDirectory={dest}"],
                       check=True, timeout=900, stdout=subprocess.DEVNULL)
    else:
        for jar in DEBIAN_JARS:
            src = os.path.realpath(os.path.join("/usr/share/java", jar))
            if not os.path.exists(src):
                sys.exit(f"missing {src}: apt-get install zookeeper libslf4j-java libservlet-api-java")
            shutil.copy(src, os.path.join(dest, jar))


def build(zk_version):
    """Return the Image for --zk-version, building its root file system under CACHE once."""
    version, source = VERSIONS[zk_version]
    root = os.path.join(CACHE, f"rootfs-{version}-{_fingerprint(version)}")
    image = Image(root, version, source)
    if os.path.isdir(root):
        return image
    tmp = root + ".tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    # merged /usr, as on jammy and on this host: the host's /usr is bound read-only over usr/
    for d in ["usr", "proc", "dev", "sys", "etc", "root", "run", "home", "opt/java", "var/tmp", "mnt"]:
        os.makedirs(os.path.join(tmp, d), exist_ok=True)
    for link in ["bin", "lib", "lib64", "sbin"]:
        os.symlink(f"usr/{link}", os.path.join(tmp, link))
    os.symlink(JDK, os.path.join(tmp, "opt/java/openjdk"))
    os.chmod(os.path.join(tmp, "root"), 0o700)
    # /etc: the user and group the Dockerfile adds; uid 10000 has no entry, as in the image
    etc = os.path.join(tmp, "etc")
    with open(os.path.join(etc, "passwd"), "w") as f:
        f.write("root:x:0:0:root:/root:/bin/bash\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n"
                "zookeeper:x:1000:1000::/home/zookeeper:/bin/sh\n")
    with open(os.path.join(etc, "group"), "w") as f:
        f.write("root:x:0:\nnogroup:x:65534:\nzookeeper:x:1000:\n")
    with open(os.path.join(etc, "nsswitch.conf"), "w") as f:
        f.write("passwd: files\ngroup: files\nhosts: files dns\n")
    for name in ["hosts", "hostname", "resolv.conf"]:  # mount points for the kubelet's files
        open(os.path.join(etc, name), "w").close()
    for d in ["alternatives", "java-17-openjdk", "ssl"]:  # the host's, bound read-only (java needs them)
        os.makedirs(os.path.join(etc, d))
    shutil.copy("/etc/ld.so.cache", etc)
    # the image's directories
    for d in ["conf", "data", "datalog", "logs"]:
        os.makedirs(os.path.join(tmp, d))
        os.chown(os.path.join(tmp, d), 1000, 1000)
    os.makedirs(os.path.join(tmp, "tmp"))
    os.chmod(os.path.join(tmp, "tmp"), 0o1777)
    for f in ["configuration.xsl", "logback.xml", "zoo_sample.cfg"]:
        shutil.copy(os.path.join(IMAGE_SRC, "conf", f), os.path.join(tmp, "conf", f))
    dist = os.path.join(tmp, image.dist.lstrip("/"))
    os.makedirs(os.path.join(dist, "conf"))  # emptied by the Dockerfile's mv
    shutil.copytree(os.path.join(IMAGE_SRC, "bin"), os.path.join(dist, "bin"))
    _jars(version, source, os.path.join(dist, "lib"))
    for base, dirs, files in os.walk(dist):
        for n in dirs + files:
            os.lchown(os.path.join(base, n), 1000, 1000)
    os.chown(dist, 1000, 1000)
    shutil.copy(os.path.join(IMAGE_SRC, "docker-entrypoint.sh"), os.path.join(tmp, "docker-entrypoint.sh"))
    os.chmod(os.path.join(tmp, "docker-entrypoint.sh"), 0o755)
    os.rename(tmp, root)
    return image
