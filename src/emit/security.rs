//! TLS and SASL (issue #14): the zoo.cfg keys, the Secret volumes, the lines the container runs
//! before ZooKeeper starts, and the cert-manager Certificate. docs/security.md explains the
//! choices; the pod runner's `tests/pod/tls_sasl.py` runs them with the real ZooKeeper.

use k8s_openapi::api::core::v1::{
    EmptyDirVolumeSource, KeyToPath, SecretVolumeSource, Volume, VolumeMount,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::Serialize;

use super::names;
use crate::model::{Ensemble, Environment, Issuer, QuorumSasl, QuorumTls};

/// Where the container reads the certificate files: an in-memory emptyDir the start script
/// fills from the Secret (see [`start_lines`] for why not the Secret volume itself).
pub const TLS_DIR: &str = "/tls";
/// The Secret volume with the certificate files, as the kubelet maintains it.
const TLS_SECRET_DIR: &str = "/tls-secret";
/// The SASL Secret volume: the passwords are read from files, never from environment
/// variables, so the JVM's environment (`/proc/<pid>/environ`, crash reports) never holds them.
const SASL_SECRET_DIR: &str = "/sasl-secret";
/// The in-memory emptyDir with the JAAS file generated at start.
const JAAS_DIR: &str = "/jaas";
pub const JAAS_FILE: &str = "/jaas/jaas.conf";

/// The key store: the private key, then the certificate chain, in one PEM file. ZooKeeper's
/// `PEMFileLoader.loadKeyStore` reads the key and the chain from the one `keyStore.location`
/// file (`PemReader.loadKeyStore(file, file, …)`, release-3.9.4); cert-manager's
/// `additionalOutputFormats: CombinedPEM` writes exactly that as `tls-combined.pem` (GA in
/// cert-manager 1.18, beta and on by default since 1.15; pkg/apis/certmanager/v1).
pub const KEY_STORE: &str = "tls-combined.pem";
/// The trust store: the CA that signs every server and client certificate.
pub const TRUST_STORE: &str = "ca.crt";

/// The SASL Secret's keys.
pub const SASL_KEYS: [&str; 4] = [
    "client-user",
    "client-password",
    "quorum-user",
    "quorum-password",
];

/// Seconds between the start script's checks for a renewed certificate in the Secret volume.
const TLS_COPY_PERIOD: u32 = 30;

/// The port clients use from outside the pod: the secure one when client TLS is on (the
/// plain port then listens on 127.0.0.1 only).
pub fn client_port(e: &Ensemble) -> (&'static str, i64) {
    if e.tls.client.value {
        ("client-tls", e.ports.secure_client.value)
    } else {
        ("client", e.ports.client.value)
    }
}

/// zoo.cfg lines for TLS and SASL, in a fixed order (admin guide, release-3.9.4).
pub fn zoo_cfg_lines(e: &Ensemble) -> Vec<(&'static str, String)> {
    let mut lines = Vec::new();
    let mut line = |k: &'static str, v: &str| lines.push((k, v.to_owned()));
    let tls = &e.tls;
    if tls.enabled() {
        // "You need to use NettyServerCnxnFactory as serverCnxnFactory, because SSL is not
        // supported by NIO" (admin guide, Quorum TLS).
        line(
            "serverCnxnFactory",
            "org.apache.zookeeper.server.NettyServerCnxnFactory",
        );
    }
    if tls.client.value {
        // The plain port stays for the probes, on the pod's loopback only: nothing outside
        // the pod's network namespace reaches it (clientPortAddress binds only clientPort;
        // secureClientPort keeps every address: QuorumPeerConfig.parseProperties).
        line("clientPortAddress", "127.0.0.1");
        line("secureClientPort", &e.ports.secure_client.value.to_string());
        line("ssl.keyStore.location", &format!("{TLS_DIR}/{KEY_STORE}"));
        line("ssl.keyStore.type", "PEM");
        line(
            "ssl.trustStore.location",
            &format!("{TLS_DIR}/{TRUST_STORE}"),
        );
        line("ssl.trustStore.type", "PEM");
        line("ssl.clientAuth", tls.client_auth.value.word());
        // Read as the system property zookeeper.client.certReload (NettyServerCnxnFactory):
        // zoo.cfg keys ZooKeeper does not parse itself become `zookeeper.<key>` properties.
        line("client.certReload", "true");
    }
    let (ssl_quorum, unification) = match tls.quorum.value {
        QuorumTls::Off => (false, false),
        QuorumTls::AcceptTls => (false, true),
        QuorumTls::SendTls => (true, true),
        QuorumTls::On => (true, false),
    };
    if tls.quorum.value != QuorumTls::Off {
        line("sslQuorum", &ssl_quorum.to_string());
        line("portUnification", &unification.to_string());
        line(
            "ssl.quorum.keyStore.location",
            &format!("{TLS_DIR}/{KEY_STORE}"),
        );
        line("ssl.quorum.keyStore.type", "PEM");
        line(
            "ssl.quorum.trustStore.location",
            &format!("{TLS_DIR}/{TRUST_STORE}"),
        );
        line("ssl.quorum.trustStore.type", "PEM");
        line("sslQuorumReloadCertFiles", "true");
    }
    let sasl = &e.sasl;
    if sasl.client.value {
        line(
            "authProvider.sasl",
            "org.apache.zookeeper.server.auth.SASLAuthenticationProvider",
        );
    }
    if sasl.enforce.value {
        line("enforce.auth.enabled", "true");
        line("enforce.auth.schemes", "sasl");
    }
    if sasl.quorum.value != QuorumSasl::Off {
        let required = (sasl.quorum.value == QuorumSasl::Required).to_string();
        line("quorum.auth.enableSasl", "true");
        line("quorum.auth.learnerRequireSasl", &required);
        line("quorum.auth.serverRequireSasl", &required);
    }
    if tls.quorum.value != QuorumTls::Off || sasl.quorum.value != QuorumSasl::Off {
        // ZooKeeper 3.9 defaults `zookeeper.fips-mode` to true (X509Util.FIPS_MODE_DEFAULT).
        // In FIPS mode a quorum learner refuses DIGEST-MD5 (SecurityUtils.createSaslClient: "will
        // not use DIGEST-MD5 as SASL mechanism, because FIPS mode is enabled"), so quorum SASL
        // cannot work, and the quorum's TLS uses the JDK's plain trust manager, which checks
        // the CA but no host name: any certificate of the issuer could join the quorum. With
        // FIPS mode off, ZooKeeper's ZKTrustManager checks the peer's name both ways (see
        // [`dns_names`]). The key is not one QuorumPeerConfig parses, so it becomes the system
        // property `zookeeper.fips-mode`, which every `new ZKConfig()` reads (release-3.9.4).
        line("fips-mode", "false");
    }
    lines
}

/// JVM flags: the JAAS file, when there is one.
pub fn jvm_flags(e: &Ensemble) -> Vec<String> {
    if e.sasl.enabled() {
        vec![format!("-Djava.security.auth.login.config={JAAS_FILE}")]
    } else {
        Vec::new()
    }
}

pub fn volumes(e: &Ensemble) -> Vec<Volume> {
    let mut volumes = Vec::new();
    if let Some(secret) = e.tls.secret_name(&e.name).filter(|_| e.tls.enabled()) {
        volumes.push(secret_volume(
            "tls-secret",
            &secret,
            &[KEY_STORE, TRUST_STORE],
        ));
        volumes.push(memory_dir("tls"));
    }
    if let Some(secret) = e.sasl.secret.as_ref().filter(|_| e.sasl.enabled()) {
        volumes.push(secret_volume("sasl-secret", &secret.value, &sasl_keys(e)));
        volumes.push(memory_dir("jaas"));
    }
    volumes
}

pub fn mounts(e: &Ensemble) -> Vec<VolumeMount> {
    let mut mounts = Vec::new();
    let mut mount = |name: &str, path: &str, read_only: bool| {
        mounts.push(VolumeMount {
            name: name.into(),
            mount_path: path.into(),
            read_only: read_only.then_some(true),
            ..VolumeMount::default()
        })
    };
    if e.tls.enabled() && e.tls.secret_name(&e.name).is_some() {
        mount("tls-secret", TLS_SECRET_DIR, true);
        mount("tls", TLS_DIR, false);
    }
    if e.sasl.enabled() && e.sasl.secret.is_some() {
        mount("sasl-secret", SASL_SECRET_DIR, true);
        mount("jaas", JAAS_DIR, false);
    }
    mounts
}

/// The keys of the SASL Secret this ensemble reads.
fn sasl_keys(e: &Ensemble) -> Vec<&'static str> {
    let client = e.sasl.client.value;
    let quorum = e.sasl.quorum.value != QuorumSasl::Off;
    SASL_KEYS
        .into_iter()
        .filter(|k| (client && k.starts_with("client")) || (quorum && k.starts_with("quorum")))
        .collect()
}

/// Only the keys zkc reads, group-readable: the pod's fsGroup owns the files (the kubelet's
/// SetVolumeOwnership), the server's uid is not the owner.
fn secret_volume(name: &str, secret: &str, keys: &[&str]) -> Volume {
    Volume {
        name: name.into(),
        secret: Some(SecretVolumeSource {
            secret_name: Some(secret.into()),
            default_mode: Some(0o440),
            items: Some(
                keys.iter()
                    .map(|k| KeyToPath {
                        key: (*k).into(),
                        path: (*k).into(),
                        ..KeyToPath::default()
                    })
                    .collect(),
            ),
            ..SecretVolumeSource::default()
        }),
        ..Volume::default()
    }
}

/// tmpfs: the private key and the passwords never reach the node's disk.
fn memory_dir(name: &str) -> Volume {
    Volume {
        name: name.into(),
        empty_dir: Some(EmptyDirVolumeSource {
            medium: Some("Memory".into()),
            ..EmptyDirVolumeSource::default()
        }),
        ..Volume::default()
    }
}

/// Shell lines the container runs before ZooKeeper starts (exit 66 on an unusable Secret).
///
/// TLS: ZooKeeper reloads a key or trust store when its watcher on the file's directory sees
/// a create or modify event for that exact file name (`X509Util.handleWatchEvent`). The kubelet
/// updates a Secret volume by swapping the `..data` symlink (atomic_writer.go), so the watched
/// names never change there and a renewed certificate would never be read. The script copies
/// the two files into an in-memory directory and renames a fresh copy over them whenever the
/// Secret's content changes: that rename is the event ZooKeeper waits for.
///
/// SASL: the JAAS file is written from the Secret's files at each start into an in-memory
/// directory; a password with `"`, `\` or a line break, or a user name that is not a plain
/// word, would change the file's meaning and is refused.
pub fn start_lines(e: &Ensemble) -> String {
    let mut out = String::new();
    if e.tls.enabled() {
        out.push_str(&format!(
            r#"zkc_tls() {{
  for f in {KEY_STORE} {TRUST_STORE}; do
    cmp -s {TLS_SECRET_DIR}/$f {TLS_DIR}/$f && continue
    (umask 077 && cp {TLS_SECRET_DIR}/$f {TLS_DIR}/.$f.new) && mv -f {TLS_DIR}/.$f.new {TLS_DIR}/$f || return 1
  done
}}
zkc_tls || {{ echo "zkc: the TLS Secret must hold {KEY_STORE} and {TRUST_STORE}" >&2; exit 66; }}
(while sleep {TLS_COPY_PERIOD}; do zkc_tls; done) &
"#
        ));
    }
    if e.sasl.enabled() {
        out.push_str(&jaas_lines(e));
    }
    out
}

fn jaas_lines(e: &Ensemble) -> String {
    let mut out = format!(
        r#"zkc_secret() {{
  v=$(cat {SASL_SECRET_DIR}/$1) && [ -n "$v" ] || {{ echo "zkc: the SASL Secret has no $1" >&2; return 1; }}
  case "$v" in *'"'*|*'\'*|*'
'*) echo "zkc: the SASL Secret's $1 holds a quote, a backslash or a line break, which a JAAS file cannot carry" >&2; return 1 ;; esac
  case "$1:$v" in *-user:*[!A-Za-z0-9_.@-]*) echo "zkc: the SASL Secret's $1 must be letters, digits and . _ @ -" >&2; return 1 ;; esac
  printf '%s' "$v"
}}
"#
    );
    let module = "org.apache.zookeeper.server.auth.DigestLoginModule required";
    let mut sections = String::new();
    if e.sasl.client.value {
        out.push_str(
            "cu=$(zkc_secret client-user) && cw=$(zkc_secret client-password) || exit 66\n",
        );
        // The "Server" section: DIGEST-MD5 users of clients (ServerCnxnFactory).
        sections.push_str(&format!(
            "Server {{\n  {module}\n  user_$cu=\"$cw\";\n}};\n"
        ));
    }
    if e.sasl.quorum.value != QuorumSasl::Off {
        out.push_str(
            "qu=$(zkc_secret quorum-user) && qp=$(zkc_secret quorum-password) || exit 66\n",
        );
        // QuorumAuth's default login contexts: QuorumServer checks learners, QuorumLearner
        // is what a learner presents.
        sections.push_str(&format!(
            "QuorumServer {{\n  {module}\n  user_$qu=\"$qp\";\n}};\nQuorumLearner {{\n  {module}\n  username=\"$qu\"\n  password=\"$qp\";\n}};\n"
        ));
    }
    // An unquoted here-document expands the variables once; their values are not expanded
    // again, so a `$` or a backquote in a password stays literal.
    out.push_str(&format!(
        "(umask 077 && cat > {JAAS_FILE} <<ZKC_JAAS\n{sections}ZKC_JAAS\n) || exit 66\n"
    ));
    out
}

/// cert-manager.io/v1 Certificate (the subset zkc writes).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Certificate {
    pub api_version: &'static str,
    pub kind: &'static str,
    pub metadata: ObjectMeta,
    pub spec: CertificateSpec,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CertificateSpec {
    pub secret_name: String,
    pub issuer_ref: IssuerRef,
    pub dns_names: Vec<String>,
    pub usages: Vec<&'static str>,
    pub private_key: PrivateKey,
    pub additional_output_formats: Vec<OutputFormat>,
}

#[derive(Debug, Clone, Serialize)]
pub struct IssuerRef {
    pub group: &'static str,
    pub kind: &'static str,
    pub name: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PrivateKey {
    pub algorithm: &'static str,
    pub size: u32,
    pub encoding: &'static str,
    pub rotation_policy: &'static str,
}

#[derive(Debug, Clone, Serialize)]
pub struct OutputFormat {
    #[serde(rename = "type")]
    pub type_: &'static str,
}

/// The Certificate, when the spec names a cert-manager issuer.
pub fn certificate(env: &Environment, e: &Ensemble) -> Option<Certificate> {
    let issuer = e.tls.issuer.as_ref().filter(|_| e.tls.enabled())?;
    Some(Certificate {
        api_version: "cert-manager.io/v1",
        kind: "Certificate",
        // The labels and annotations every other object of the ensemble carries.
        metadata: super::meta(env, e, names::certificate(e)),
        spec: CertificateSpec {
            secret_name: names::certificate(e),
            issuer_ref: IssuerRef {
                group: "cert-manager.io",
                kind: issuer.kind.word(),
                name: issuer.name.value.clone(),
            },
            dns_names: dns_names(env, e, issuer),
            // One certificate per ensemble, presented both as a TLS server (client port,
            // quorum listener) and as a TLS client (a learner connecting to the leader).
            usages: vec![
                "server auth",
                "client auth",
                "digital signature",
                "key encipherment",
            ],
            private_key: PrivateKey {
                algorithm: "RSA",
                size: 2048,
                // PemReader.loadPrivateKey reads PKCS#8 only ("this code requires a key in
                // PKCS8 format"); cert-manager's default is PKCS#1.
                encoding: "PKCS8",
                rotation_policy: "Always",
            },
            additional_output_formats: vec![OutputFormat {
                type_: "CombinedPEM",
            }],
        },
    })
}

/// Every name a peer or a client reaches a server by. Peers check each other's names both
/// ways (`ssl.quorum.hostnameVerification` and `ssl.quorum.clientHostnameVerification` default
/// to true; ZKTrustManager, used because zkc turns FIPS mode off with quorum TLS): the
/// connecting side checks the name it dialled (zoo.cfg's `server.N` host), the accepting side
/// the reverse-DNS name of the peer's address, which cluster DNS answers with the fully
/// qualified pod name under the headless Service (it publishes not-ready pods too).
pub fn dns_names(env: &Environment, e: &Ensemble, issuer: &Issuer) -> Vec<String> {
    let ns = &env.namespace.value;
    let domain = &issuer.cluster_domain.value;
    let mut dns = Vec::new();
    for id in 1..=e.servers.value {
        let pod = format!(
            "{}.{}.{ns}.svc",
            names::pod(e, id),
            names::headless_service(e)
        );
        dns.push(format!("{pod}.{domain}"));
        dns.push(pod);
        if e.per_server_services() {
            let svc = format!("{}.{ns}.svc", names::pod(e, id));
            dns.push(format!("{svc}.{domain}"));
            dns.push(svc);
        }
    }
    let client = &e.client_service_name.value;
    for name in [
        client.clone(),
        format!("{client}.{ns}"),
        format!("{client}.{ns}.svc"),
        format!("{client}.{ns}.svc.{domain}"),
    ] {
        dns.push(name);
    }
    dns
}
