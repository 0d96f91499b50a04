//! [`ExportNames`]: an instance's export names with an index, shared by every instance of
//! one module, so instantiating copies no strings and a lookup by name is a binary search.

/// The names an instance exports, in order, and where each is.
///
/// ```
/// let names = wz_store::ExportNames::new(["memory", "_start"]);
/// assert_eq!(names.position("_start"), Some(1));
/// assert_eq!(names.position("main"), None);
/// assert_eq!(names.len(), 2);
/// ```
#[derive(Debug, Default)]
pub struct ExportNames {
    names: Vec<Box<str>>,
    /// Positions in `names`, ordered by name (binary search: no hashing, and no input can
    /// make a lookup slower than a logarithmic number of comparisons).
    sorted: Vec<u32>,
}

impl ExportNames {
    /// The names, in export order. (A module's names are distinct; of repeated names the
    /// first is found.)
    pub fn new<S: Into<Box<str>>>(names: impl IntoIterator<Item = S>) -> Self {
        let names: Vec<Box<str>> = names.into_iter().map(Into::into).collect();
        let mut sorted: Vec<u32> = (0..names.len() as u32).collect();
        // Stable: equal names keep export order, so the first comes first.
        sorted.sort_by(|&a, &b| names[a as usize].cmp(&names[b as usize]));
        ExportNames { names, sorted }
    }

    /// The position of the export called `name`.
    pub fn position(&self, name: &str) -> Option<usize> {
        let at = self
            .sorted
            .partition_point(|&i| &*self.names[i as usize] < name);
        let &i = self.sorted.get(at)?;
        (&*self.names[i as usize] == name).then_some(i as usize)
    }

    /// The name at `position`.
    ///
    /// ```
    /// let names = wz_store::ExportNames::new(["a", "b"]);
    /// assert_eq!(names.name(1), Some("b"));
    /// ```
    pub fn name(&self, position: usize) -> Option<&str> {
        self.names.get(position).map(|n| &**n)
    }

    /// How many exports there are.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// Whether there are none.
    ///
    /// ```
    /// assert!(wz_store::ExportNames::default().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::ExportNames;
    use proptest::prelude::*;

    proptest! {
        /// Lookups agree with a linear search for the first export of that name, for names
        /// present (repeats included) and absent.
        #[test]
        fn position_is_the_first_match(
            names in proptest::collection::vec("[a-c]{0,3}", 0..40),
            probes in proptest::collection::vec("[a-d]{0,3}", 0..20),
        ) {
            let index = ExportNames::new(names.iter().map(String::as_str));
            for probe in names.iter().chain(&probes) {
                let expected = names.iter().position(|n| n == probe);
                prop_assert_eq!(index.position(probe), expected, "probe {:?}", probe);
            }
            for (i, name) in names.iter().enumerate() {
                prop_assert_eq!(index.name(i), Some(name.as_str()));
            }
        }
    }
}
