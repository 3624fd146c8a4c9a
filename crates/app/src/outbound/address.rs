//! Which addresses an outbound request may reach: the classifier that tells public addresses from
//! loopback, private, link-local, metadata and other special ones, and the operator's allow list
//! (`TENANTRY_ALLOW_PRIVATE_TARGETS`: addresses or CIDR ranges). Pure: no I/O.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// What kind of address an IP is, for the outbound rules; only [`AddressClass::Public`] is
/// reachable without the operator's allow list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddressClass {
    Public,
    Unspecified,
    Loopback,
    /// RFC 1918 (and IPv6 site-local).
    Private,
    /// Carrier-grade NAT, 100.64.0.0/10.
    SharedAddressSpace,
    LinkLocal,
    /// The cloud metadata service, 169.254.169.254 (and fd00:ec2::254).
    Metadata,
    /// IPv6 unique-local, fc00::/7.
    UniqueLocal,
    Multicast,
    Broadcast,
    Documentation,
    /// Anything else not routed on the public internet (benchmarking, protocol assignments,
    /// future use, IPv6 outside 2000::/3).
    Reserved,
}

impl AddressClass {
    /// How a refusal names it.
    pub fn describe(self) -> &'static str {
        match self {
            AddressClass::Public => "a public address",
            AddressClass::Unspecified => "an unspecified address",
            AddressClass::Loopback => "a loopback address",
            AddressClass::Private => "a private address",
            AddressClass::SharedAddressSpace => "a carrier-grade NAT address",
            AddressClass::LinkLocal => "a link-local address",
            AddressClass::Metadata => "the cloud metadata address",
            AddressClass::UniqueLocal => "a unique-local address",
            AddressClass::Multicast => "a multicast address",
            AddressClass::Broadcast => "the broadcast address",
            AddressClass::Documentation => "a documentation address",
            AddressClass::Reserved => "a reserved address",
        }
    }
}

/// Whether `net/prefix` holds `ip` (IPv4).
fn in_v4(ip: Ipv4Addr, net: [u8; 4], prefix: u8) -> bool {
    prefix_match(u128::from(u32::from(ip)), u128::from(u32::from(Ipv4Addr::from(net))), 32, prefix)
}

/// Whether `net/prefix` holds `ip` (IPv6).
fn in_v6(ip: Ipv6Addr, net: [u16; 8], prefix: u8) -> bool {
    prefix_match(u128::from(ip), u128::from(Ipv6Addr::from(net)), 128, prefix)
}

/// Whether the first `prefix` of `bits` bits of `a` and `b` agree.
fn prefix_match(a: u128, b: u128, bits: u8, prefix: u8) -> bool {
    if prefix == 0 {
        return true;
    }
    let shift = u32::from(bits.saturating_sub(prefix.min(bits)));
    (a >> shift) == (b >> shift)
}

/// Classifies an IPv4 address.
pub fn classify_v4(ip: Ipv4Addr) -> AddressClass {
    use AddressClass::*;
    const TABLE: &[([u8; 4], u8, AddressClass)] = &[
        ([169, 254, 169, 254], 32, Metadata),
        ([255, 255, 255, 255], 32, Broadcast),
        ([0, 0, 0, 0], 8, Unspecified),
        ([127, 0, 0, 0], 8, Loopback),
        ([10, 0, 0, 0], 8, Private),
        ([172, 16, 0, 0], 12, Private),
        ([192, 168, 0, 0], 16, Private),
        ([100, 64, 0, 0], 10, SharedAddressSpace),
        ([169, 254, 0, 0], 16, LinkLocal),
        ([192, 0, 2, 0], 24, Documentation),
        ([198, 51, 100, 0], 24, Documentation),
        ([203, 0, 113, 0], 24, Documentation),
        ([192, 0, 0, 0], 24, Reserved),
        ([192, 88, 99, 0], 24, Reserved),
        ([198, 18, 0, 0], 15, Reserved),
        ([224, 0, 0, 0], 4, Multicast),
        ([240, 0, 0, 0], 4, Reserved),
    ];
    TABLE.iter().find(|(net, prefix, _)| in_v4(ip, *net, *prefix)).map_or(Public, |(_, _, class)| *class)
}

/// Classifies an IPv6 address; one that embeds an IPv4 address (mapped, NAT64, 6to4) is judged
/// by the IPv4 address it reaches.
pub fn classify_v6(ip: Ipv6Addr) -> AddressClass {
    use AddressClass::*;
    let s = ip.segments();
    if ip.is_unspecified() {
        return Unspecified;
    }
    if ip.is_loopback() {
        return Loopback;
    }
    // ::ffff:a.b.c.d (mapped) and 64:ff9b::a.b.c.d (well-known NAT64) reach a.b.c.d.
    if in_v6(ip, [0, 0, 0, 0, 0, 0xffff, 0, 0], 96) || in_v6(ip, [0x64, 0xff9b, 0, 0, 0, 0, 0, 0], 96) {
        let [.., a, b] = s;
        return classify_v4(Ipv4Addr::from((u32::from(a) << 16) | u32::from(b)));
    }
    // 6to4, 2002:a.b.c.d::/48, reaches a.b.c.d.
    if s[0] == 0x2002 {
        return classify_v4(Ipv4Addr::from((u32::from(s[1]) << 16) | u32::from(s[2])));
    }
    const TABLE: &[([u16; 8], u8, AddressClass)] = &[
        ([0xfd00, 0x0ec2, 0, 0, 0, 0, 0, 0x0254], 128, Metadata),
        ([0xfc00, 0, 0, 0, 0, 0, 0, 0], 7, UniqueLocal),
        ([0xfe80, 0, 0, 0, 0, 0, 0, 0], 10, LinkLocal),
        ([0xfec0, 0, 0, 0, 0, 0, 0, 0], 10, Private),
        ([0xff00, 0, 0, 0, 0, 0, 0, 0], 8, Multicast),
        ([0x2001, 0x0db8, 0, 0, 0, 0, 0, 0], 32, Documentation),
        ([0x3fff, 0, 0, 0, 0, 0, 0, 0], 20, Documentation),
        // Protocol assignments (Teredo, ORCHID, benchmarking…): no CRM or webhook lives there.
        ([0x2001, 0, 0, 0, 0, 0, 0, 0], 23, Reserved),
    ];
    if let Some((_, _, class)) = TABLE.iter().find(|(net, prefix, _)| in_v6(ip, *net, *prefix)) {
        return *class;
    }
    // Global unicast is 2000::/3; everything else (IPv4-compatible, discard-only, …) is not routed.
    if in_v6(ip, [0x2000, 0, 0, 0, 0, 0, 0, 0], 3) { Public } else { Reserved }
}

/// Classifies an address.
pub fn classify(ip: IpAddr) -> AddressClass {
    match ip {
        IpAddr::V4(v4) => classify_v4(v4),
        IpAddr::V6(v6) => classify_v6(v6),
    }
}

/// An address range: an address and how many leading bits count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    network: IpAddr,
    prefix: u8,
}

/// A range that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not an IP address or CIDR range (e.g. 10.0.0.0/8, 127.0.0.1, fd00::/8)")]
pub struct InvalidCidr(pub String);

impl Cidr {
    /// Reads `10.0.0.0/8`, `127.0.0.1` (one address), `fd00::/8`, `::1` or `[::1]`; host bits
    /// after the prefix are ignored (`10.1.2.3/8` is `10.0.0.0/8`).
    pub fn parse(text: &str) -> Result<Self, InvalidCidr> {
        let bad = || InvalidCidr(text.to_owned());
        let t = text.trim();
        let (addr, prefix) = match t.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (t, None),
        };
        let addr = addr.strip_prefix('[').and_then(|a| a.strip_suffix(']')).unwrap_or(addr);
        let ip: IpAddr = addr.parse().map_err(|_| bad())?;
        let max = if ip.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) if !p.is_empty() && p.len() <= 3 && p.bytes().all(|b| b.is_ascii_digit()) => {
                p.parse::<u8>().ok().filter(|p| *p <= max).ok_or_else(bad)?
            }
            Some(_) => return Err(bad()),
        };
        Ok(Self { network: mask(ip, prefix), prefix })
    }

    /// Whether the range holds `ip` (an IPv4-mapped IPv6 address counts as its IPv4 address).
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.network, ip.to_canonical()) {
            (IpAddr::V4(n), IpAddr::V4(a)) => {
                prefix_match(u128::from(u32::from(a)), u128::from(u32::from(n)), 32, self.prefix)
            }
            (IpAddr::V6(n), IpAddr::V6(a)) => prefix_match(u128::from(a), u128::from(n), 128, self.prefix),
            _ => false,
        }
    }
}

impl std::fmt::Display for Cidr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix)
    }
}

/// `ip` with every bit after `prefix` cleared.
fn mask(ip: IpAddr, prefix: u8) -> IpAddr {
    match ip {
        IpAddr::V4(v4) => {
            let keep = if prefix == 0 { 0 } else { u32::MAX << (32 - u32::from(prefix.min(32))) };
            IpAddr::V4(Ipv4Addr::from(u32::from(v4) & keep))
        }
        IpAddr::V6(v6) => {
            let keep = if prefix == 0 { 0 } else { u128::MAX << (128 - u32::from(prefix.min(128))) };
            IpAddr::V6(Ipv6Addr::from(u128::from(v6) & keep))
        }
    }
}

/// The operator's allow list of private targets (`TENANTRY_ALLOW_PRIVATE_TARGETS`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllowList(Vec<Cidr>);

impl AllowList {
    /// Reads a comma-separated list of addresses and CIDR ranges; empty entries are skipped.
    pub fn parse(text: &str) -> Result<Self, InvalidCidr> {
        text.split(',').map(str::trim).filter(|s| !s.is_empty()).map(Cidr::parse).collect::<Result<_, _>>().map(Self)
    }

    /// Whether the operator allowed `ip`.
    pub fn contains(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|c| c.contains(ip))
    }

    /// Whether nothing is allowed.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Why an address may not be reached; `None` when it may.
pub fn refusal(ip: IpAddr, allow: &AllowList) -> Option<AddressClass> {
    if allow.contains(ip) {
        return None;
    }
    match classify(ip) {
        AddressClass::Public => None,
        other => Some(other),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use proptest::prelude::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn special_addresses_are_classified() {
        use AddressClass::*;
        let cases = [
            ("127.0.0.1", Loopback),
            ("127.255.0.9", Loopback),
            ("10.0.0.1", Private),
            ("172.16.0.1", Private),
            ("172.31.255.255", Private),
            ("192.168.1.1", Private),
            ("100.64.0.1", SharedAddressSpace),
            ("100.127.255.255", SharedAddressSpace),
            ("169.254.169.254", Metadata),
            ("169.254.1.1", LinkLocal),
            ("0.0.0.0", Unspecified),
            ("224.0.0.1", Multicast),
            ("255.255.255.255", Broadcast),
            ("192.0.2.7", Documentation),
            ("198.51.100.7", Documentation),
            ("203.0.113.7", Documentation),
            ("240.0.0.1", Reserved),
            ("198.18.0.1", Reserved),
            ("::", Unspecified),
            ("::1", Loopback),
            ("fe80::1", LinkLocal),
            ("fc00::1", UniqueLocal),
            ("fd12:3456::1", UniqueLocal),
            ("fd00:ec2::254", Metadata),
            ("ff02::1", Multicast),
            ("2001:db8::1", Documentation),
            ("::ffff:127.0.0.1", Loopback),
            ("::ffff:10.0.0.1", Private),
            ("::ffff:169.254.169.254", Metadata),
            ("64:ff9b::a00:1", Private),
            ("2002:7f00:1::1", Loopback),
            ("::127.0.0.1", Reserved),
            ("2001::1", Reserved),
        ];
        for (text, class) in cases {
            assert_eq!(classify(ip(text)), class, "{text}");
        }
        for public in ["8.8.8.8", "1.1.1.1", "172.32.0.1", "100.128.0.1", "2606:4700::1111", "::ffff:8.8.8.8"] {
            assert_eq!(classify(ip(public)), Public, "{public}");
        }
    }

    #[test]
    fn cidr_ranges_and_single_addresses() {
        let c = Cidr::parse("10.0.0.0/8").unwrap();
        assert!(c.contains(ip("10.200.3.4")));
        assert!(!c.contains(ip("11.0.0.1")));
        assert!(c.contains(ip("::ffff:10.0.0.1")), "mapped addresses count as IPv4");
        assert!(Cidr::parse("127.0.0.1").unwrap().contains(ip("127.0.0.1")));
        assert!(!Cidr::parse("127.0.0.1").unwrap().contains(ip("127.0.0.2")));
        assert!(Cidr::parse("[::1]").unwrap().contains(ip("::1")));
        assert!(Cidr::parse("fd00::/8").unwrap().contains(ip("fd12::1")));
        assert_eq!(Cidr::parse("10.1.2.3/8").unwrap().to_string(), "10.0.0.0/8");
        assert!(Cidr::parse("0.0.0.0/0").unwrap().contains(ip("8.8.8.8")));
        for bad in [
            "",
            "10.0.0.0/33",
            "::/129",
            "10.0.0/8",
            "10.0.0.0/",
            "10.0.0.0/+8",
            "localhost",
            "10.0.0.0/8/8",
            "1.2.3.4/-1",
        ] {
            assert!(Cidr::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn the_allow_list_lets_listed_private_addresses_through() {
        let allow = AllowList::parse(" 127.0.0.1 , 10.0.0.0/8,").unwrap();
        assert_eq!(refusal(ip("127.0.0.1"), &allow), None);
        assert_eq!(refusal(ip("10.9.9.9"), &allow), None);
        assert_eq!(refusal(ip("::1"), &allow), Some(AddressClass::Loopback));
        assert_eq!(refusal(ip("169.254.169.254"), &allow), Some(AddressClass::Metadata));
        assert_eq!(refusal(ip("8.8.8.8"), &AllowList::default()), None);
        assert!(AllowList::parse("10.0.0.0/8, nope").is_err());
        assert!(AllowList::parse("").unwrap().is_empty());
    }

    proptest! {
        #[test]
        fn a_range_holds_exactly_the_addresses_sharing_its_prefix(a in any::<u32>(), b in any::<u32>(), prefix in 0u8..=32) {
            let c = Cidr::parse(&format!("{}/{prefix}", Ipv4Addr::from(a))).unwrap();
            let same = prefix == 0 || (a >> (32 - u32::from(prefix))) == (b >> (32 - u32::from(prefix)));
            prop_assert_eq!(c.contains(IpAddr::V4(Ipv4Addr::from(b))), same);
            prop_assert!(c.contains(IpAddr::V4(Ipv4Addr::from(a))));
            prop_assert_eq!(Cidr::parse(&c.to_string()).unwrap(), c, "displays as it parses");
        }

        #[test]
        fn ipv6_ranges_hold_their_own_addresses(a in any::<u128>(), prefix in 0u8..=128) {
            let c = Cidr::parse(&format!("{}/{prefix}", Ipv6Addr::from(a))).unwrap();
            prop_assert!(c.contains(IpAddr::V6(Ipv6Addr::from(a))));
            prop_assert_eq!(Cidr::parse(&c.to_string()).unwrap(), c);
        }

        #[test]
        fn the_cidr_parser_never_panics(s in "\\PC{0,40}") {
            let _ = Cidr::parse(&s);
            let _ = AllowList::parse(&s);
        }

        #[test]
        fn mapped_ipv6_is_judged_as_its_ipv4_address(a in any::<u32>()) {
            let v4 = Ipv4Addr::from(a);
            prop_assert_eq!(classify(IpAddr::V6(v4.to_ipv6_mapped())), classify_v4(v4));
        }

        #[test]
        fn private_ranges_are_never_public(host in any::<u32>()) {
            for (net, prefix) in [([10u8, 0, 0, 0], 8u8), ([172, 16, 0, 0], 12), ([192, 168, 0, 0], 16), ([127, 0, 0, 0], 8), ([169, 254, 0, 0], 16), ([100, 64, 0, 0], 10)] {
                let base = u32::from(Ipv4Addr::from(net));
                let ip = Ipv4Addr::from(base | (host >> prefix));
                prop_assert_ne!(classify_v4(ip), AddressClass::Public, "{}", ip);
            }
        }

        #[test]
        fn ipv6_outside_global_unicast_is_public_only_through_embedded_ipv4(a in any::<u128>()) {
            let ip = Ipv6Addr::from(a);
            if a >> 125 != 0b001 && classify_v6(ip) == AddressClass::Public {
                let s = ip.segments();
                let mapped = s[..6] == [0, 0, 0, 0, 0, 0xffff];
                let nat64 = s[..6] == [0x64, 0xff9b, 0, 0, 0, 0];
                prop_assert!(mapped || nat64, "{}", ip);
            }
        }
    }
}
