//! Helpers for idempotent seeding (`paydesk demo`).

/// What a seeding step did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SeedOutcome {
    /// Records created now.
    pub created: u64,
    /// Records that already existed and were left as they were.
    pub existing: u64,
}

impl SeedOutcome {
    /// Counts one record.
    pub fn count(&mut self, created: bool) {
        if created {
            self.created += 1;
        } else {
            self.existing += 1;
        }
    }
}
