//! Hash maps and sets for the engine's internal lookups.
//!
//! The engine hashes short keys millions of times per corpus run (gazetteer tokens and
//! their clitic/suffix variants, figure lexicon words, function words); the standard
//! library's SipHash cost about 4 % of the whole run. foldhash is several times faster
//! on such keys and still seeds itself per process, so map iteration order is no more
//! predictable than before (nothing in the output depends on it).

/// A `HashMap` with the fast hasher.
pub type Map<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;

/// A `HashSet` with the fast hasher.
pub type Set<T> = std::collections::HashSet<T, foldhash::fast::RandomState>;
