//! The book's `to_do_map` idiom must compile cleanly under `clippy -D warnings`:
//! `HashMap<Future<T>, V>` keyed by futures (clippy::mutable_key_type must not fire).

use std::collections::HashMap;
use std::time::Duration;

use concurrent_futures::{as_completed, Future, ThreadPoolExecutor};

#[test]
fn futures_key_a_hash_map() {
    let pool = ThreadPoolExecutor::with_max_workers(3).unwrap();
    let mut to_do_map: HashMap<Future<String>, String> = HashMap::new();
    for cc in ["BR", "CN", "IN"] {
        let fut = pool.submit(move || cc.to_lowercase()).unwrap();
        to_do_map.insert(fut, cc.to_string());
    }
    let mut seen = Vec::new();
    for fut in as_completed(to_do_map.keys()) {
        let cc = &to_do_map[&fut];
        let lower = fut.result_timeout(Duration::from_secs(30)).unwrap();
        assert_eq!(*lower, cc.to_lowercase());
        seen.push(cc.clone());
    }
    seen.sort();
    assert_eq!(seen, ["BR", "CN", "IN"]);
}
