//! Who is asking: the client's network address behind trusted reverse proxies, and the
//! part of it a rate limit counts.
//!
//! Each proxy appends the address it received the request from to `X-Forwarded-For`,
//! so only the entries on the right, written by our own proxies, can be believed; the
//! leftmost ones are whatever the client sent. The client is the rightmost entry that
//! is not one of our proxies.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

/// An address block such as `10.0.0.0/8` or `2001:db8::/32`; a bare address is a
/// block of one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    network: IpAddr,
    prefix: u8,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not an address block such as 10.0.0.0/8, 192.0.2.7 or 2001:db8::/32")]
pub struct CidrError(pub String);

impl FromStr for Cidr {
    type Err = CidrError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim();
        let error = || CidrError(text.to_owned());
        let (address, prefix) = match text.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (text, None),
        };
        let network: IpAddr = address.parse().map_err(|_| error())?;
        let bits = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => bits,
            Some(p) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => p
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= bits)
                .ok_or_else(error)?,
            Some(_) => return Err(error()),
        };
        Ok(Self {
            network: mask(network, prefix),
            prefix,
        })
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix)
    }
}

impl Cidr {
    pub fn contains(&self, address: IpAddr) -> bool {
        let address = canonical(address);
        address.is_ipv4() == self.network.is_ipv4() && mask(address, self.prefix) == self.network
    }
}

/// The first `prefix` bits of an address, the rest zero.
fn mask(address: IpAddr, prefix: u8) -> IpAddr {
    match address {
        IpAddr::V4(a) => {
            let bits = u32::from(a)
                .checked_shr(32 - u32::from(prefix))
                .and_then(|b| b.checked_shl(32 - u32::from(prefix)))
                .unwrap_or(0);
            IpAddr::V4(Ipv4Addr::from(bits))
        }
        IpAddr::V6(a) => {
            let bits = u128::from(a)
                .checked_shr(128 - u32::from(prefix))
                .and_then(|b| b.checked_shl(128 - u32::from(prefix)))
                .unwrap_or(0);
            IpAddr::V6(Ipv6Addr::from(bits))
        }
    }
}

/// An IPv4 address written in IPv6 (`::ffff:192.0.2.7`) is the IPv4 address.
fn canonical(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V6(a) => a.to_ipv4_mapped().map_or(address, IpAddr::V4),
        v4 => v4,
    }
}

/// The reverse proxies in front of the service (`SIPAS_TRUSTED_PROXIES`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<Cidr>);

impl TrustedProxies {
    /// A comma-separated list of address blocks; an empty list trusts no proxy.
    pub fn parse(list: &str) -> Result<Self, CidrError> {
        list.split(',')
            .map(str::trim)
            .filter(|b| !b.is_empty())
            .map(str::parse)
            .collect::<Result<_, _>>()
            .map(Self)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn contains(&self, address: IpAddr) -> bool {
        self.0.iter().any(|c| c.contains(address))
    }

    /// The client of a request received from `peer` with these `X-Forwarded-For`
    /// header values (in order): the peer itself unless it is a trusted proxy, else
    /// the rightmost forwarded entry that is not one. An entry that is not an address
    /// ends the walk at the proxy that wrote it, which is then taken as the client:
    /// nothing to its left can be believed.
    pub fn client(&self, peer: IpAddr, forwarded_for: &[&str]) -> IpAddr {
        let mut client = canonical(peer);
        if !self.contains(client) {
            return client;
        }
        let entries = forwarded_for.iter().flat_map(|v| v.split(','));
        for entry in entries.collect::<Vec<_>>().into_iter().rev() {
            let Some(address) = parse_entry(entry) else {
                return client;
            };
            client = address;
            if !self.contains(address) {
                return address;
            }
        }
        client
    }
}

/// One `X-Forwarded-For` entry: an address, perhaps with a port (`192.0.2.7:5000`,
/// `[2001:db8::1]:5000`).
fn parse_entry(entry: &str) -> Option<IpAddr> {
    let entry = entry.trim();
    if let Ok(address) = entry.parse::<IpAddr>() {
        return Some(canonical(address));
    }
    if let Some(rest) = entry.strip_prefix('[') {
        return rest.split_once(']')?.0.parse().ok().map(canonical);
    }
    let (host, port) = entry.rsplit_once(':')?;
    port.parse::<u16>().ok()?;
    host.parse::<Ipv4Addr>().ok().map(IpAddr::V4)
}

/// What a per-address limit counts: an IPv4 address, or the /64 of an IPv6 one (one
/// subscriber's network; a single client can pick any address inside it).
pub fn limited_network(address: IpAddr) -> String {
    match canonical(address) {
        IpAddr::V4(a) => a.to_string(),
        v6 => format!("{}/64", mask(v6, 64)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn address_blocks_parse_and_match() {
        let block: Cidr = "10.1.2.3/8".parse().unwrap();
        assert_eq!(block.to_string(), "10.0.0.0/8");
        assert!(block.contains(ip("10.255.0.1")));
        assert!(!block.contains(ip("11.0.0.1")));
        assert!(block.contains(ip("::ffff:10.0.0.9")));
        let one: Cidr = "192.0.2.7".parse().unwrap();
        assert!(one.contains(ip("192.0.2.7")) && !one.contains(ip("192.0.2.8")));
        let v6: Cidr = "2001:db8::/32".parse().unwrap();
        assert!(v6.contains(ip("2001:db8:ffff::1")) && !v6.contains(ip("2001:db9::1")));
        assert!(!v6.contains(ip("10.0.0.1")));
        let all: Cidr = "0.0.0.0/0".parse().unwrap();
        assert!(all.contains(ip("203.0.113.9")) && !all.contains(ip("::1")));
        for bad in [
            "",
            "10.0.0.0/33",
            "::/129",
            "10.0.0.0/",
            "10.0.0.0/+8",
            "proxy",
            "10.0.0/8",
        ] {
            assert!(bad.parse::<Cidr>().is_err(), "{bad}");
        }
    }

    #[test]
    fn lists_parse_or_name_the_bad_block() {
        let proxies = TrustedProxies::parse(" 10.0.0.0/8, 127.0.0.1 ,,::1").unwrap();
        assert!(proxies.contains(ip("127.0.0.1")) && proxies.contains(ip("::1")));
        assert!(TrustedProxies::parse("").unwrap().is_empty());
        assert_eq!(
            TrustedProxies::parse("10.0.0.0/8,lb.local").unwrap_err(),
            CidrError("lb.local".into())
        );
    }

    #[test]
    fn the_client_is_the_rightmost_untrusted_entry() {
        let proxies = TrustedProxies::parse("10.0.0.0/8").unwrap();
        let lb = ip("10.0.0.2");
        // A direct client's headers are ignored.
        assert_eq!(
            proxies.client(ip("203.0.113.5"), &["198.51.100.1"]),
            ip("203.0.113.5")
        );
        // Through one proxy: the address it appended.
        assert_eq!(proxies.client(lb, &["203.0.113.5"]), ip("203.0.113.5"));
        // A client's forged entries on the left change nothing.
        assert_eq!(
            proxies.client(lb, &["1.2.3.4, 5.6.7.8", "203.0.113.5"]),
            ip("203.0.113.5")
        );
        // Through two of our proxies.
        assert_eq!(
            proxies.client(lb, &["9.9.9.9, 203.0.113.5, 10.0.0.7"]),
            ip("203.0.113.5")
        );
        // A forged trusted-looking entry is passed over only while it is on the right
        // of the first untrusted one.
        assert_eq!(
            proxies.client(lb, &["10.0.0.1, 203.0.113.5"]),
            ip("203.0.113.5")
        );
        // Ports and IPv4 in IPv6 are read.
        assert_eq!(proxies.client(lb, &["203.0.113.5:4711"]), ip("203.0.113.5"));
        assert_eq!(
            proxies.client(lb, &["[2001:db8::1]:4711"]),
            ip("2001:db8::1")
        );
        assert_eq!(
            proxies.client(ip("::ffff:10.0.0.2"), &["203.0.113.5"]),
            ip("203.0.113.5")
        );
        // Garbage stops the walk at the proxy that wrote it.
        assert_eq!(proxies.client(lb, &["203.0.113.5, junk"]), lb);
        assert_eq!(proxies.client(lb, &["junk, 10.0.0.7"]), ip("10.0.0.7"));
        // No header, or only proxies: the leftmost proxy is the client.
        assert_eq!(proxies.client(lb, &[]), lb);
        assert_eq!(proxies.client(lb, &["10.0.0.9"]), ip("10.0.0.9"));
        // Nothing trusted: the peer, always.
        assert_eq!(TrustedProxies::default().client(lb, &["203.0.113.5"]), lb);
    }

    #[test]
    fn ipv6_clients_are_limited_per_64() {
        assert_eq!(limited_network(ip("203.0.113.5")), "203.0.113.5");
        assert_eq!(limited_network(ip("::ffff:203.0.113.5")), "203.0.113.5");
        let one = limited_network(ip("2001:db8:1:2:aaaa::1"));
        assert_eq!(one, "2001:db8:1:2::/64");
        assert_eq!(one, limited_network(ip("2001:db8:1:2:ffff:ffff:ffff:ffff")));
        assert_ne!(one, limited_network(ip("2001:db8:1:3::1")));
    }
}
