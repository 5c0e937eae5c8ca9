use concurrent_futures::{Error, ExitCause, MapOptions, ProcessPoolExecutor};
use std::time::Duration;

concurrent_futures::init_before_main!();

fn square(n: u64) -> u64 {
    n * n
}
fn die(code: i32) -> u64 {
    std::process::exit(code)
}
fn boom(_: u8) -> u8 {
    panic!("boom in worker")
}

#[test]
fn smoke() {
    let pool = ProcessPoolExecutor::with_max_workers(2).unwrap();
    let f = pool.submit(square, 12).unwrap();
    assert_eq!(f.result_timeout(Duration::from_secs(30)), Ok(&144));
    let v: Vec<u64> = pool
        .map(square, 0..10)
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(v, (0..10).map(|n| n * n).collect::<Vec<_>>());
    let v: Vec<u64> = pool
        .map_with(square, 0..1000, MapOptions::new().chunksize(64))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(v.len(), 1000);
    let p = pool.submit(boom, 1).unwrap();
    assert_eq!(
        p.result_timeout(Duration::from_secs(30)),
        Err(Error::Panicked {
            message: "boom in worker".into()
        })
    );
    let d = pool.submit(die, 3).unwrap();
    match d.result_timeout(Duration::from_secs(30)) {
        Err(Error::WorkerDied {
            cause: ExitCause::Exited(3),
            ..
        }) => {}
        other => panic!("{other:?}"),
    }
    let f = pool.submit(square, 5).unwrap();
    assert_eq!(f.result_timeout(Duration::from_secs(30)), Ok(&25));
    eprintln!("{pool:?} {:?}", pool.worker_pids());
}
