//! Where Weft may send a request, in one place: every outgoing request (delivery, fetch,
//! WebFinger, NodeInfo) and every URL a peer asks Weft to store for later requests (an
//! actor's inbox, shared inbox, outbox, key) are held to these rules. Names that resolve
//! to internal addresses are refused by the validating resolver at the moment of
//! connecting; an address written as an IP literal never reaches a resolver, so it is
//! checked here. Development mode allows plain http and internal addresses.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use url::{Host, Url};

/// May Weft send a request to `url`? In production: https only, and no IP literal that
/// is not a public address (loopback, private, link-local, shared, documentation,
/// multicast, unspecified, and their IPv6 and IPv4-mapped forms are refused).
pub fn outgoing_allowed(url: &Url, production: bool) -> Result<(), String> {
    match url.scheme() {
        "https" => {}
        "http" if !production => {}
        other => {
            return Err(format!(
                "{url}: Weft sends requests over https only, not {other}"
            ));
        }
    }
    if !production {
        return Ok(());
    }
    let ip = match url.host() {
        Some(Host::Ipv4(v4)) => IpAddr::V4(v4),
        Some(Host::Ipv6(v6)) => IpAddr::V6(v6),
        Some(Host::Domain(_)) => return Ok(()),
        None => return Err(format!("{url} names no host")),
    };
    if is_public(ip) {
        Ok(())
    } else {
        Err(format!("{url}: {ip} is not a public address"))
    }
}

/// True for an address on the public internet.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => public_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => public_v4(v4),
            None => public_v6(v6),
        },
    }
}

fn public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_documentation()
        || ip.is_multicast()
        || a == 0
        // Shared address space (carrier-grade NAT), 100.64.0.0/10.
        || (a == 100 && (64..128).contains(&b))
        // IETF protocol assignments, 192.0.0.0/24, and benchmarking, 198.18.0.0/15.
        || (a == 192 && b == 0 && c == 0)
        || (a == 198 && (18..20).contains(&b))
        // Reserved, 240.0.0.0/4.
        || a >= 240)
}

fn public_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        // Unique local, fc00::/7.
        || (first & 0xfe00) == 0xfc00
        // Link-local, fe80::/10.
        || (first & 0xffc0) == 0xfe80
        // Documentation, 2001:db8::/32.
        || (first == 0x2001 && ip.segments()[1] == 0x0db8)
        // IPv4-compatible (deprecated) ::a.b.c.d, and NAT64 64:ff9b::/96 of an internal v4.
        || ip.to_ipv4().is_some_and(|v4| !public_v4(v4)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allowed(url: &str) -> bool {
        outgoing_allowed(&Url::parse(url).unwrap(), true).is_ok()
    }

    #[test]
    fn internal_ip_literals_are_refused_in_every_form() {
        for url in [
            "https://127.0.0.1/inbox",
            "https://127.1/inbox",
            "https://2130706433/inbox",
            "https://0x7f000001/inbox",
            "https://0177.0.0.1/inbox",
            "https://169.254.169.254/latest/meta-data/",
            "https://10.0.0.1/inbox",
            "https://172.16.5.4/inbox",
            "https://192.168.1.1/inbox",
            "https://100.64.0.1/inbox",
            "https://0.0.0.0/inbox",
            "https://[::1]/inbox",
            "https://[::]/inbox",
            "https://[::ffff:127.0.0.1]/inbox",
            "https://[::ffff:a9fe:a9fe]/inbox",
            "https://[fd00::1]/inbox",
            "https://[fe80::1]/inbox",
            "https://[::127.0.0.1]/inbox",
        ] {
            assert!(!allowed(url), "{url} must be refused");
        }
    }

    #[test]
    fn public_addresses_and_names_pass_in_production_https_only() {
        for url in [
            "https://93.184.215.14/inbox",
            "https://[2606:4700::6810:85e5]/inbox",
            "https://social.example/inbox",
        ] {
            assert!(allowed(url), "{url} is public");
        }
        assert!(!allowed("http://social.example/inbox"), "plain http");
        assert!(!allowed("ftp://social.example/inbox"));
        assert!(!allowed("javascript:alert(1)"));
    }

    #[test]
    fn development_allows_plain_http_and_localhost() {
        let dev = |u: &str| outgoing_allowed(&Url::parse(u).unwrap(), false).is_ok();
        assert!(dev("http://127.0.0.1:8080/inbox"));
        assert!(dev("http://localhost:8080/inbox"));
        assert!(!dev("file:///etc/passwd"));
    }
}
