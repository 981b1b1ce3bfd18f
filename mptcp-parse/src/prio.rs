//! MP_PRIO (subtype 0x5): change a subflow's priority (backup or not).

use crate::error::{Error, LengthSet, ReservedField, Warning, Warnings};
use crate::wire::{expect_length, u8_field, EmitError, Header, Writer};
use nom::combinator::cond;
use nom::Parser;

/// MP_PRIO.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MpPrio {
    /// B: the sender wants the subflow used as a backup.
    pub backup: bool,
    /// Bits 1 to 3 of the subtype byte (reserved).
    pub reserved: u8,
    /// RFC 6824 (v0) only: the address whose subflows change priority (length 4).
    pub address_id: Option<u8>,
}

/// Decodes MP_PRIO (length 4: with the v0 address ID).
pub(crate) fn parse(header: Header, body: &[u8]) -> Result<MpPrio, Error> {
    expect_length("MP_PRIO", LengthSet::of(&[3, 4]), header.length)?;
    let (_, address_id) = cond(header.length == 4, u8_field("address ID")).parse(body)?;
    Ok(MpPrio {
        backup: header.nibble & 1 != 0,
        reserved: header.nibble & 0x0e,
        address_id,
    })
}

impl MpPrio {
    /// Bytes [`emit`](Self::emit) writes.
    pub fn buffer_len(&self) -> usize {
        3 + usize::from(self.address_id.is_some())
    }

    /// Writes the whole option; returns its length.
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize, EmitError> {
        let mut w = Writer::start(
            buf,
            self.buffer_len(),
            5,
            self.reserved | u8::from(self.backup),
        )?;
        if let Some(id) = self.address_id {
            w.u8(id);
        }
        Ok(w.done())
    }

    pub(crate) fn add_warnings(&self, out: &mut Warnings) {
        if self.reserved != 0 {
            out.push(Warning::ReservedBits {
                field: ReservedField::MpPrioFlags,
                bits: self.reserved,
            });
        }
    }
}
