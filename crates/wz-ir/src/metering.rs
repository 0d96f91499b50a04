//! Fuel and interruption: the checks both engines compile in when asked, with one shared
//! definition of what fuel counts, so a budget stops a program at the same point on every
//! engine.
//!
//! **Fuel** counts wasm operators executed. Each engine counts the reachable operators of a
//! straight-line region as it translates them and charges the count when control leaves the
//! region: just before every operator for which [`charges_fuel`] is true, the operator itself
//! included ([`FuelCounter`] implements this for every engine). A call therefore pays for the
//! operators before it, then its callee pays for its own. **Checks** (fuel exhausted? interrupted?) happen at function entry and at every loop
//! header, so a back-edge is checked every iteration and any endless execution is caught;
//! between checks a function runs at most one region's worth of operators.

use wasmparser::Operator;

/// Which run-time limits compiled code checks. Both off (the default) costs nothing.
///
/// ```
/// use wz_ir::Metering;
/// let fuel = Metering { fuel: true, ..Metering::default() };
/// assert!(fuel.any());
/// assert!(!Metering::default().any()); // nothing compiled in
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Metering {
    /// Count operators against a fuel budget ([`crate::TrapCode::OutOfFuel`] when spent).
    pub fuel: bool,
    /// Poll an interrupt flag ([`crate::TrapCode::Interrupted`] once it is raised).
    pub interrupt: bool,
    /// Call the engine's listener hooks at every function entry (with the parameters) and
    /// before every return (with the results): [`crate::Op::ListenEnter`] and
    /// [`crate::Op::ListenExit`] in the IR, calls of the same hooks in JIT code.
    pub listen: bool,
}

impl Metering {
    /// Whether any check (fuel or interruption) is compiled in.
    ///
    /// ```
    /// use wz_ir::Metering;
    /// assert!(Metering { interrupt: true, ..Metering::default() }.any());
    /// // Listening alone is not a check.
    /// assert!(!Metering { listen: true, ..Metering::default() }.any());
    /// ```
    pub fn any(self) -> bool {
        self.fuel || self.interrupt
    }
}

/// Counts the reachable operators of a function body as an engine translates them and says
/// when to charge them: the one counting rule every engine uses, so that all of them charge
/// the same amounts at the same operators.
#[derive(Debug, Default)]
pub struct FuelCounter {
    pending: u32,
}

impl FuelCounter {
    /// Counts `op` (reachable, about to be translated). Returns the fuel to charge just
    /// before `op`'s own code, if control leaves the straight-line region there.
    #[inline]
    pub fn count(&mut self, op: &Operator<'_>) -> Option<u32> {
        self.pending += 1;
        charges_fuel(op).then(|| std::mem::take(&mut self.pending))
    }
}

/// Whether the fuel counted so far must be charged just before `op` runs (control leaves the
/// straight-line region there): block boundaries, branches, calls and returns.
pub fn charges_fuel(op: &Operator<'_>) -> bool {
    matches!(
        op,
        Operator::Block { .. }
            | Operator::Loop { .. }
            | Operator::If { .. }
            | Operator::Else
            | Operator::End
            | Operator::Br { .. }
            | Operator::BrIf { .. }
            | Operator::BrTable { .. }
            | Operator::Return
            | Operator::Call { .. }
            | Operator::CallIndirect { .. }
    )
}
