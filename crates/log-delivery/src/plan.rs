//! The durable plan of the delivery cycle in progress: its WAL range and delivery time, written
//! before the first upload and removed after the cursor moved ([`crate::consumer`]).
//!
//! The file `plan` in the consumer's state directory is `durable_file`'s frame, magic `OTpl`,
//! version 1, payload `start` u64, `end` u64, `delivered_at_unix` i64 (little-endian): 36
//! bytes, replaced crash-safely. Plans of the first format (magic `OTdp`, the same three
//! numbers, then an IEEE CRC-32 of the first 28 bytes: 32 bytes, no version) are still read,
//! so a cycle cut short by an upgrade is re-run by the new build.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// The durable plan of the cycle in progress.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Plan {
    pub(crate) start: u64,
    pub(crate) end: u64,
    pub(crate) delivered_at_unix: i64,
}

const FORMAT: durable_file::Format = durable_file::Format::new(*b"OTpl", 1);
/// The first format's magic; it had no version and an IEEE CRC-32.
const LEGACY_MAGIC: &[u8; 4] = b"OTdp";
const LEGACY_FILE_BYTES: usize = 32;
const PAYLOAD_BYTES: usize = 24;

impl Plan {
    fn encode(&self) -> Vec<u8> {
        let mut payload = [0u8; PAYLOAD_BYTES];
        payload[0..8].copy_from_slice(&self.start.to_le_bytes());
        payload[8..16].copy_from_slice(&self.end.to_le_bytes());
        payload[16..24].copy_from_slice(&self.delivered_at_unix.to_le_bytes());
        FORMAT.encode(&payload)
    }

    /// A plan of either format, or what is wrong with the bytes.
    fn decode(bytes: &[u8]) -> Result<Plan, String> {
        if bytes.starts_with(LEGACY_MAGIC) {
            return Plan::decode_legacy(bytes);
        }
        let frame = FORMAT.decode(bytes).map_err(|defect| defect.to_string())?;
        Plan::from_payload(frame.payload)
    }

    fn decode_legacy(bytes: &[u8]) -> Result<Plan, String> {
        if bytes.len() != LEGACY_FILE_BYTES {
            return Err(format!("it has `{}` bytes, not `{LEGACY_FILE_BYTES}`", bytes.len()));
        }
        let (body, crc) = bytes.split_at(LEGACY_FILE_BYTES - 4);
        if crc32fast::hash(body).to_le_bytes() != crc {
            return Err("its checksum does not match its bytes".to_owned());
        }
        Plan::from_payload(&body[4..])
    }

    fn from_payload(payload: &[u8]) -> Result<Plan, String> {
        let number = |at: usize| -> Option<[u8; 8]> { payload.get(at..at + 8)?.try_into().ok() };
        match (payload.len(), number(0), number(8), number(16)) {
            (PAYLOAD_BYTES, Some(start), Some(end), Some(delivered_at)) => Ok(Plan {
                start: u64::from_le_bytes(start),
                end: u64::from_le_bytes(end),
                delivered_at_unix: i64::from_le_bytes(delivered_at),
            }),
            (len, ..) => Err(format!("its payload has `{len}` bytes, not `{PAYLOAD_BYTES}`")),
        }
    }
}

fn plan_path(state_dir: &Path) -> PathBuf {
    state_dir.join("plan")
}

/// The plan in `state_dir`, if a cycle is in progress.
pub(crate) fn read_plan(state_dir: &Path) -> Result<Option<Plan>> {
    let path = plan_path(state_dir);
    match std::fs::read(&path) {
        Ok(bytes) => match Plan::decode(&bytes) {
            Ok(plan) => Ok(Some(plan)),
            Err(reason) => Err(Error::PlanDamaged { path, reason }),
        },
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(err) => Err(Error::io("read the delivery plan", path)(err)),
    }
}

/// Writes (or with `None` removes) the plan crash-safely.
pub(crate) fn write_plan(state_dir: &Path, plan: Option<&Plan>) -> Result<()> {
    let path = plan_path(state_dir);
    match plan {
        Some(plan) => {
            std::fs::create_dir_all(state_dir)
                .map_err(Error::io("create the delivery state directory", state_dir.to_owned()))?;
            let bytes = plan.encode();
            // Pair the encoder with the decoder before anything reaches the disk.
            assert_eq!(Plan::decode(&bytes), Ok(*plan));
            durable_file::replace(&path, &bytes)?;
        }
        None => {
            durable_file::remove(&path)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
