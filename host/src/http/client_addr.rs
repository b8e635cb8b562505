//! Who the client is: the peer of the connection, or, behind a trusted proxy, the address
//! that proxy put in `X-Forwarded-For`. Components read it from `spin-client-addr`, the
//! header Spin sets, so login throttling works the same under both runtimes.

use http::HeaderMap;
use ipnet::IpNet;
use std::net::{IpAddr, SocketAddr};

/// The header components read the client address from. The host always replaces it, so a
/// client cannot choose its own.
pub const HEADER: &str = "spin-client-addr";

fn trusted(ip: IpAddr, proxies: &[IpNet]) -> bool {
    proxies.iter().any(|net| net.contains(&ip))
}

/// The client's address: when the peer is a trusted proxy, the rightmost address of
/// `X-Forwarded-For` that is not itself a trusted proxy (the entries to its left are
/// whatever the client claimed); otherwise the peer.
pub fn resolve(peer: SocketAddr, headers: &HeaderMap, proxies: &[IpNet]) -> String {
    if !trusted(peer.ip(), proxies) {
        return peer.to_string();
    }
    let hops: Vec<IpAddr> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|hop| hop.trim().parse::<IpAddr>().ok())
        .collect();
    match hops.iter().rev().find(|ip| !trusted(**ip, proxies)).or(hops.first()) {
        Some(ip) => ip.to_string(),
        None => peer.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn headers(xff: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-for", HeaderValue::from_str(xff).unwrap());
        headers
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_claims() {
        let peer: SocketAddr = "203.0.113.7:5555".parse().unwrap();
        assert_eq!(resolve(peer, &headers("198.51.100.1"), &[]), "203.0.113.7:5555");
    }

    #[test]
    fn behind_a_trusted_proxy_the_rightmost_untrusted_hop_is_the_client() {
        let proxies = vec!["127.0.0.1/32".parse().unwrap(), "10.0.0.0/8".parse().unwrap()];
        let peer: SocketAddr = "127.0.0.1:40000".parse().unwrap();
        // The client claimed 1.1.1.1; 198.51.100.9 reached our proxy at 10.0.0.2.
        assert_eq!(resolve(peer, &headers("1.1.1.1, 198.51.100.9, 10.0.0.2"), &proxies), "198.51.100.9");
        assert_eq!(resolve(peer, &HeaderMap::new(), &proxies), "127.0.0.1:40000");
        assert_eq!(resolve(peer, &headers("10.0.0.3"), &proxies), "10.0.0.3");
    }
}
