// Included by tests/vectors.rs and by the fuzz crate's crypto target (its oracle checks
// itself against them): one copy of Linux's KUnit vectors.

/// net/mptcp/crypto_test.c: `key` and `msg` are ASCII strings, read as key1 ‖ key2 (8 bytes
/// each, big-endian) and nonce1 ‖ nonce2 (4 bytes each); the result is HMAC-SHA256 in hex.
const KUNIT: [(&[u8; 16], &[u8; 8], &str); 3] = [
    (
        b"0b0b0b0b0b0b0b0b",
        b"48692054",
        "8385e24fb4235ac37556b6b886db106284a1da671699f46db1f235ec622dcafa",
    ),
    (
        b"aaaaaaaaaaaaaaaa",
        b"dddddddd",
        "2c5e219164ff1dca1c4a92318d847bb6b9d44492984e1eb71aff9022f71046e9",
    ),
    (
        b"0102030405060708",
        b"cdcdcdcd",
        "e73b9ba9969969cefb04aa0d6df18ec2fcc075b6f23b4d8c4da736a5dbbc6e7d",
    ),
];
