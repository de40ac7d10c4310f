//! Keyed dossier hashes and signed form nonces.

use sipas_domain::token::{FormNonce, SigningKeys};

const K1: &[u8] = b"first secret, at least thirty-two bytes long";
const K2: &[u8] = b"second secret, also at least thirty-two bytes";

#[test]
fn dossier_hash_is_hex_stable_and_keyed() {
    let a = SigningKeys::new(K1, vec![]);
    let h = a.dossier_hash(3, "000.00.25.H27-210512-0001");
    assert_eq!(h.len(), 64);
    assert!(
        h.bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
    );
    assert_eq!(h, a.dossier_hash(3, "000.00.25.H27-210512-0001"));
    assert_eq!(h, a.dossier_hash(3, "  000.00.25.H27-210512-0001\n"));
    assert!(!h.contains("210512"));
    assert_ne!(h, a.dossier_hash(4, "000.00.25.H27-210512-0001"));
    assert_ne!(h, a.dossier_hash(3, "000.00.25.H27-210512-0002"));
    let b = SigningKeys::new(K2, vec![]);
    assert_ne!(h, b.dossier_hash(3, "000.00.25.H27-210512-0001"));
}

#[test]
fn dossier_hashes_survive_rotation() {
    let old = SigningKeys::new(K1, vec![]);
    let stored = old.dossier_hash(1, "H27-0001");
    let rotated = SigningKeys::new(K2, vec![K1.to_vec()]);
    let all = rotated.dossier_hashes(1, "H27-0001");
    assert_eq!(all.len(), 2);
    assert_eq!(all[0], rotated.dossier_hash(1, "H27-0001"), "current first");
    assert!(all.contains(&stored));
}

#[test]
fn duplicate_secrets_are_dropped() {
    let k = SigningKeys::new(K1, vec![K1.to_vec(), K2.to_vec(), K2.to_vec()]);
    assert_eq!(k.dossier_hashes(1, "x").len(), 2);
}

#[test]
fn form_nonce_round_trip_and_unique() {
    let keys = SigningKeys::new(K1, vec![]);
    let a = keys.new_form_nonce(1_700_000_000);
    let b = keys.new_form_nonce(1_700_000_000);
    assert_ne!(a, b);
    assert!(a.len() <= 40, "{a}");
    assert_eq!(
        keys.verify_form_nonce(&a),
        Ok(FormNonce {
            issued_at_unix: 1_700_000_000
        })
    );
    let many: std::collections::HashSet<String> =
        (0..2_000).map(|_| keys.new_form_nonce(5)).collect();
    assert_eq!(many.len(), 2_000);
}

#[test]
fn form_nonce_cannot_be_backdated_or_moved_between_keys() {
    let keys = SigningKeys::new(K1, vec![]);
    let n = keys.form_nonce_with(1_700_000_000, [7; 8]);
    let mut chars: Vec<char> = n.chars().collect();
    // Altering any character fails.
    for i in 0..chars.len() {
        let orig = chars[i];
        chars[i] = if orig == 'B' { 'C' } else { 'B' };
        let forged: String = chars.iter().collect();
        assert!(keys.verify_form_nonce(&forged).is_err(), "char {i}");
        chars[i] = orig;
    }
    let other = SigningKeys::new(K2, vec![]);
    assert!(other.verify_form_nonce(&n).is_err());
    let rotated = SigningKeys::new(K2, vec![K1.to_vec()]);
    assert!(rotated.verify_form_nonce(&n).is_ok());
    // A token is not a nonce and a nonce is not a token.
    assert!(keys.verify(&n).is_err());
}

#[test]
fn keyed_hash_separates_purposes_and_keys() {
    let a = SigningKeys::new(K1, vec![]);
    let h = a.keyed_hash("client-ip/2021-05-12", b"203.0.113.7");
    assert_eq!(h.len(), 64);
    assert!(!h.contains("203"));
    assert_eq!(h, a.keyed_hash("client-ip/2021-05-12", b"203.0.113.7"));
    assert_ne!(h, a.keyed_hash("client-ip/2021-05-13", b"203.0.113.7"));
    // The purpose/data boundary is unambiguous.
    assert_ne!(a.keyed_hash("ab", b"c"), a.keyed_hash("a", b"bc"));
    assert_ne!(
        h,
        SigningKeys::new(K2, vec![]).keyed_hash("client-ip/2021-05-12", b"203.0.113.7")
    );
    // Not the same as a dossier hash of the same text.
    assert_ne!(a.keyed_hash("dossier", b"X"), a.dossier_hash(0, "X"));
}
