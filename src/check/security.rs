//! TLS and SASL rules (issue #14), one function each; [`check_deployed`] compares the quorum
//! TLS and SASL phases with the zoo.cfg in `out/`.

use super::{Deployed, dns_label};
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::emit::names;
use crate::model::{Ensemble, Environment, QuorumSasl, QuorumTls, Sp};
use crate::resolve::Origin;
use crate::source::Loc;

/// ZK0080, ZK0081.
pub(super) fn certificate_source(e: &Ensemble, diags: &mut Diagnostics) {
    let tls = &e.tls;
    if !tls.enabled() {
        return;
    }
    let on = if tls.client.value {
        &tls.client.origin
    } else {
        &tls.quorum.origin
    };
    let on_loc = Sp {
        value: (),
        origin: on.clone(),
    }
    .loc_or(e.loc);
    match (&tls.issuer, &tls.secret) {
        (None, None) => diags.push(
            Diagnostic::new(
                Code::TlsWithoutCertificate,
                format!("ensemble `{}` turns TLS on without a certificate", e.name),
            )
            .at_loc(on_loc, "TLS on")
            .help("add `issuer \"NAME\"` (cert-manager) or `secret \"NAME\"` (a Secret with tls-combined.pem and ca.crt) to `tls { … }`"),
        ),
        (Some(issuer), Some(secret)) => diags.push(
            Diagnostic::new(
                Code::TwoCertificateSources,
                "`tls` names both a cert-manager issuer and a Secret".to_owned(),
            )
            .at_loc(issuer.name.loc_or(e.loc), "cert-manager")
            .at_loc(secret.loc_or(e.loc), "existing Secret")
            .help("keep one: `issuer` makes cert-manager write the Secret, `secret` names one you manage"),
        ),
        _ => {}
    }
}

/// ZK0082.
pub(super) fn sasl_secret(e: &Ensemble, diags: &mut Diagnostics) {
    let sasl = &e.sasl;
    if sasl.enabled() && sasl.secret.is_none() {
        let on = if sasl.client.value {
            sasl.client.loc_or(e.loc)
        } else {
            sasl.quorum.loc_or(e.loc)
        };
        diags.push(
            Diagnostic::new(
                Code::SaslWithoutSecret,
                format!("ensemble `{}` turns SASL on without the Secret of its users", e.name),
            )
            .at_loc(on, "SASL on")
            .help("add `secret \"NAME\"` to `sasl { … }`: a Secret with client-user, client-password, quorum-user, quorum-password"),
        );
    }
}

/// ZK0083.
pub(super) fn enforce_needs_client_sasl(e: &Ensemble, diags: &mut Diagnostics) {
    let sasl = &e.sasl;
    if sasl.enforce.value && !sasl.client.value {
        diags.push(
            Diagnostic::new(
                Code::EnforceWithoutClientSasl,
                "`enforce #true` would refuse every client: client SASL is off".to_owned(),
            )
            .at_loc(sasl.enforce.loc_or(e.loc), "requires SASL")
            .help("add `client #true` to `sasl { … }`, or remove `enforce`"),
        );
    }
}

/// ZK0057: `tls`, `sasl` and `ports secure-client=` settings that the features' switches make
/// meaningless, reported once per setting.
pub(super) fn ignored_security_settings(e: &Ensemble, diags: &mut Diagnostics) {
    let tls_on = e.tls.enabled();
    let sasl_on = e.sasl.enabled();
    for (key, resolved) in &e.leaves {
        let Origin::Spec { loc, .. } = &resolved.origin else {
            continue;
        };
        let why = match key.path.as_str() {
            "tls.client-auth" | "ports.secure-client" if !e.tls.client.value => {
                "has no effect while `tls { client }` is off"
            }
            "tls.issuer" | "tls.issuer.kind" | "tls.issuer.cluster-domain" | "tls.secret"
                if !tls_on =>
            {
                "has no effect while TLS is off for clients and quorum"
            }
            "sasl.secret" if !sasl_on => "has no effect while SASL is off for clients and quorum",
            _ => continue,
        };
        diags.push(
            Diagnostic::new(Code::IgnoredSetting, format!("`{}` {why}", key.path))
                .at_loc(*loc, "no effect")
                .help("turn the feature on, or remove the setting"),
        );
    }
}

/// The Secret and issuer names reach the pod spec and the Certificate: Kubernetes object
/// names, DNS-1123 subdomains.
pub(super) fn security_names(e: &Ensemble, diags: &mut Diagnostics) {
    let named = [
        ("TLS Secret", e.tls.secret.as_ref()),
        (
            "cert-manager issuer",
            e.tls.issuer.as_ref().map(|i| &i.name),
        ),
        ("SASL Secret", e.sasl.secret.as_ref()),
    ];
    for (what, name) in named {
        if let Some(name) = name {
            object_name(what, &name.value, name.loc_or(e.loc), diags);
        }
    }
    if let Some(issuer) = &e.tls.issuer {
        let domain = &issuer.cluster_domain;
        object_name("cluster domain", &domain.value, domain.loc_or(e.loc), diags);
    }
}

/// A DNS-1123 subdomain (`kubectl create secret` names): labels joined by `.`, at most 253.
pub(crate) fn object_name(what: &str, name: &str, at: Loc, diags: &mut Diagnostics) {
    let why = if name.len() > 253 {
        Some("longer than 253 characters".to_owned())
    } else {
        name.split('.')
            .find_map(|label| dns_label(label, 63, false).err())
    };
    if let Some(why) = why {
        diags.push(
            Diagnostic::new(
                Code::InvalidName,
                format!("{what} name {name:?} is not a DNS name: {why}"),
            )
            .at_loc(at, "invalid name")
            .help("a Kubernetes object name is lower-case letters, digits, `-` and `.`, such as \"zk-tls\""),
        );
    }
}

/// `flux decryption-secret=` and `secrets-component=`: ZK0057 without `decryption=`, object
/// names, and a component path inside the repository.
pub(crate) fn flux_secrets(env: &Environment, diags: &mut Diagnostics) {
    let Some(flux) = &env.flux else {
        return;
    };
    if let Some(secret) = &flux.decryption_secret {
        object_name(
            "SOPS key Secret",
            &secret.value,
            secret.loc_or(flux.loc),
            diags,
        );
        if flux.decryption.is_none() {
            diags.push(
                Diagnostic::new(
                    Code::IgnoredSetting,
                    "`flux decryption-secret=` has no effect without `decryption=`".to_owned(),
                )
                .at_loc(secret.loc_or(flux.loc), "no effect")
                .help("add decryption=\"sops\", or remove decryption-secret="),
            );
        }
    }
    if let Some(component) = &flux.secrets_component {
        let path = &component.value;
        let escapes = path.starts_with('/') || path.split('/').any(|p| p == ".." || p.is_empty());
        if escapes {
            diags.push(
                Diagnostic::new(
                    Code::InvalidName,
                    format!("secrets-component {path:?} is not a path inside the repository"),
                )
                .at_loc(component.loc_or(flux.loc), "invalid path")
                .help("write the directory relative to the repository root, such as \"secrets/staging\""),
            );
        }
    }
}

/// How far along a phased change is, in the order of the admin guide's procedure.
fn tls_phase(q: QuorumTls) -> i64 {
    match q {
        QuorumTls::Off => 0,
        QuorumTls::AcceptTls => 1,
        QuorumTls::SendTls => 2,
        QuorumTls::On => 3,
    }
}

fn sasl_phase(q: QuorumSasl) -> i64 {
    match q {
        QuorumSasl::Off => 0,
        QuorumSasl::Enabled => 1,
        QuorumSasl::Required => 2,
    }
}

/// The value of `key` in a zoo.cfg zkc wrote (a line `key=value` of the ConfigMap's block).
fn deployed_value<'a>(text: &'a str, key: &str) -> Option<&'a str> {
    text.lines()
        .find_map(|l| l.trim_start().strip_prefix(key)?.strip_prefix('='))
        .map(str::trim)
}

/// The deployed quorum TLS phase (0–3) and quorum SASL phase (0–2), read back from the zoo.cfg
/// lines [`crate::emit::security::zoo_cfg_lines`] writes.
fn deployed_phases(cfg: &str) -> (i64, i64) {
    let on = |key| deployed_value(cfg, key) == Some("true");
    let tls = match (on("sslQuorum"), on("portUnification")) {
        (false, false) => 0,
        (false, true) => 1,
        (true, true) => 2,
        (true, false) => 3,
    };
    let sasl = match (
        on("quorum.auth.enableSasl"),
        on("quorum.auth.learnerRequireSasl"),
    ) {
        (false, _) => 0,
        (true, false) => 1,
        (true, true) => 2,
    };
    (tls, sasl)
}

/// ZK0084, ZK0085: against the ensemble in `out/` (see `Deployed::file`). Without one, any
/// phase is fine: a new ensemble starts with every server on the same configuration.
pub(crate) fn check_deployed(
    env: &Environment,
    e: &Ensemble,
    deployed: &dyn Deployed,
    diags: &mut Diagnostics,
) {
    let ns = &env.namespace.value;
    let rel = format!("{ns}/configmap-{}.yaml", names::config_map(e));
    let Some(cfg) = deployed.file(&rel) else {
        return;
    };
    let (tls_was, sasl_was) = deployed_phases(cfg);
    let resized = deployed
        .servers(ns, &e.name)
        .is_some_and(|n| n != e.servers.value);
    let phases = [
        (
            "quorum TLS",
            tls_was,
            tls_phase(e.tls.quorum.value),
            e.tls.quorum.loc_or(e.loc),
            QuorumTls::WORDS,
        ),
        (
            "quorum SASL",
            sasl_was,
            sasl_phase(e.sasl.quorum.value),
            e.sasl.quorum.loc_or(e.loc),
            QuorumSasl::WORDS,
        ),
    ];
    for (what, was, now, loc, words) in phases {
        if was == now {
            continue;
        }
        let next = words[(was + (now - was).signum()) as usize];
        if (now - was).abs() > 1 {
            diags.push(
                Diagnostic::new(
                    Code::QuorumSecurityStep,
                    format!(
                        "{what} of `{}` would go from \"{}\" to \"{}\" in one rollout",
                        e.name, words[was as usize], words[now as usize]
                    ),
                )
                .at_loc(loc, format!("out/ has \"{}\"", words[was as usize]))
                .help(format!(
                    "one phase per commit: `quorum \"{next}\"` first (see `zkc explain ZK0084`)"
                )),
            );
        } else if resized {
            diags.push(
                Diagnostic::new(
                    Code::QuorumSecurityWithResize,
                    format!(
                        "{what} of `{}` changes in the same commit as its server count",
                        e.name
                    ),
                )
                .at_loc(loc, format!("out/ has \"{}\"", words[was as usize]))
                .at_loc(e.servers.loc_or(e.loc), "server count changes")
                .help("commit the resize step and the phase change separately"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::deployed_phases;

    #[test]
    fn phases_read_back_from_the_configmap() {
        let cm = "data:\n  zoo.cfg: |\n    sslQuorum=true\n    portUnification=true\n    quorum.auth.enableSasl=true\n    quorum.auth.learnerRequireSasl=false\n";
        assert_eq!(deployed_phases(cm), (2, 1));
        assert_eq!(
            deployed_phases("data:\n  zoo.cfg: |\n    tickTime=2000\n"),
            (0, 0)
        );
        assert_eq!(
            deployed_phases("    sslQuorum=true\n    portUnification=false\n"),
            (3, 0)
        );
    }
}
