//! Every MPTCP option subtype, one at a time: the valid wire forms decode to the exact values
//! (bytes written by hand, big-endian, offsets from the Kind byte), every truncation point and
//! every wrong length byte gives the error that names the field, reserved bits and misplaced
//! forms give warnings, and the TCP options area walks past what it cannot decode.
//!
//! Most checks are tables of cases (what, bytes, expected value, warnings or error) with one
//! loop each; `catalogue` holds the valid forms that several tables share.

mod catalogue;
mod helpers;

mod address;
mod area;
mod capable;
mod catalogue_checks;
mod dss;
mod fault;
mod join;
mod lengths;
mod messages;
mod others;
mod segment;
