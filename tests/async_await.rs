//! Awaiting futures from async code, under three runtimes: tokio's current-thread and
//! multi-thread runtimes, and `futures::executor::block_on`. Nothing here sleeps to
//! synchronise: barriers, channels and gates order things, and every test runs under
//! a deadline so that a lost wake-up is a failure, not a stuck run.

#![cfg(target_os = "linux")]

mod processes;

use std::future::{Future as StdFuture, IntoFuture};
use std::pin::pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Barrier};
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use concurrent_futures::{
    as_completed, as_completed_async, wait, wait_async, AnyFuture, DoneAndNotDone, Error, Future,
    ProcessPoolExecutor, ReturnWhen, ThreadPoolExecutor,
};
use futures::StreamExt;
use processes::{with_deadline, PATIENCE};

concurrent_futures::init_before_main!();

/// The three runtimes every behaviour is checked under.
#[derive(Debug, Clone, Copy)]
enum Runtime {
    TokioCurrentThread,
    TokioMultiThread,
    BlockOn,
}

const RUNTIMES: [Runtime; 3] = [
    Runtime::TokioCurrentThread,
    Runtime::TokioMultiThread,
    Runtime::BlockOn,
];

impl Runtime {
    fn run<F: StdFuture>(self, body: F) -> F::Output {
        match self {
            Runtime::TokioCurrentThread => tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap()
                .block_on(body),
            Runtime::TokioMultiThread => tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap()
                .block_on(body),
            Runtime::BlockOn => futures::executor::block_on(body),
        }
    }
}

/// A waker that counts its wakes; `Arc::strong_count` of it counts its clones.
struct CountingWake(AtomicUsize);

impl Wake for CountingWake {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

fn counting_waker() -> (Arc<CountingWake>, Waker) {
    let wake = Arc::new(CountingWake(AtomicUsize::new(0)));
    (Arc::clone(&wake), Waker::from(wake))
}

fn boom(n: u64) -> u64 {
    panic!("boom {n}")
}

fn square(n: u64) -> u64 {
    n * n
}

fn die(code: i32) -> u64 {
    std::process::exit(code)
}

#[test]
fn awaiting_gives_the_result_in_place_and_owned() {
    for runtime in RUNTIMES {
        with_deadline(move || {
            let pool = ThreadPoolExecutor::with_max_workers(2).unwrap();
            let fut = pool.submit(|| "BR".to_string()).unwrap();
            let (by_ref, owned) = runtime.run(async {
                let by_ref: Result<&String, Error> = (&fut).await;
                let owned: Result<String, Error> = fut.clone().await;
                (by_ref.cloned(), owned)
            });
            assert_eq!(by_ref, Ok("BR".to_string()), "{runtime:?}");
            assert_eq!(owned, Ok("BR".to_string()), "{runtime:?}");
        });
    }
}

#[test]
fn a_done_future_is_ready_on_the_first_poll() {
    let fut: Future<u8> = Future::new();
    fut.set_result(7).unwrap();
    let (count, waker) = counting_waker();
    let mut cx = Context::from_waker(&waker);
    let mut awaiting = pin!((&fut).into_future());
    assert_eq!(awaiting.as_mut().poll(&mut cx), Poll::Ready(Ok(&7)));
    assert_eq!(Arc::strong_count(&count), 2, "no waker was stored");
}

#[test]
fn a_repoll_with_another_waker_replaces_the_old_one() {
    let fut: Future<u8> = Future::new();
    let (first, first_waker) = counting_waker();
    let (second, second_waker) = counting_waker();
    let mut awaiting = pin!(fut.clone().into_future());
    assert!(awaiting
        .as_mut()
        .poll(&mut Context::from_waker(&first_waker))
        .is_pending());
    assert!(awaiting
        .as_mut()
        .poll(&mut Context::from_waker(&second_waker))
        .is_pending());
    assert_eq!(Arc::strong_count(&first), 2, "the first waker was dropped");
    fut.set_result(1).unwrap();
    assert_eq!(first.0.load(Ordering::SeqCst), 0);
    assert_eq!(second.0.load(Ordering::SeqCst), 1);
    assert_eq!(
        awaiting
            .as_mut()
            .poll(&mut Context::from_waker(&second_waker)),
        Poll::Ready(Ok(1))
    );
}

#[test]
fn a_dropped_await_leaves_no_waker_behind() {
    let fut: Future<u8> = Future::new();
    let (count, waker) = counting_waker();
    {
        let mut awaiting = pin!((&fut).into_future());
        assert!(awaiting
            .as_mut()
            .poll(&mut Context::from_waker(&waker))
            .is_pending());
        assert_eq!(Arc::strong_count(&count), 3, "the future holds one clone");
    }
    assert_eq!(
        Arc::strong_count(&count),
        2,
        "dropping the await dropped it"
    );
    fut.set_result(1).unwrap();
    assert_eq!(count.0.load(Ordering::SeqCst), 0, "nobody was woken later");
    assert!(!fut.cancelled(), "dropping an await does not cancel");
}

/// A tokio `select!` that takes the other branch, and a runtime timeout: both drop the
/// await. The future is untouched, and awaiting it again still works.
#[test]
fn select_and_timeouts_only_stop_waiting() {
    for runtime in [Runtime::TokioCurrentThread, Runtime::TokioMultiThread] {
        with_deadline(move || {
            let fut: Future<u8> = Future::new();
            runtime.run(async {
                tokio::select! {
                    _ = (&fut).into_future() => panic!("nobody completed it"),
                    _ = std::future::ready(()) => {}
                }
                let timed_out = tokio::time::timeout(Duration::from_millis(1), &fut).await;
                assert!(timed_out.is_err());
            });
            assert_eq!(fut.state(), concurrent_futures::FutureState::Pending);
            fut.set_result(3).unwrap();
            assert_eq!(runtime.run(async { fut.clone().await }), Ok(3));
        });
    }
}

/// On a current-thread runtime, a pending await must yield the thread: the task that
/// completes the future runs on that same thread.
#[test]
fn a_pending_await_never_blocks_the_runtimes_thread() {
    with_deadline(|| {
        let fut: Future<u64> = Future::new();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let value = runtime.block_on(async {
            let awaiting = tokio::spawn(fut.clone().into_future());
            let completer = tokio::spawn({
                let fut = fut.clone();
                async move { fut.set_result(42).unwrap() }
            });
            completer.await.unwrap();
            awaiting.await.unwrap()
        });
        assert_eq!(value, Ok(42));
    });
}

#[test]
fn ten_thousand_concurrent_awaits_all_complete() {
    for runtime in RUNTIMES {
        with_deadline(move || {
            let pool = ThreadPoolExecutor::with_max_workers(2).unwrap();
            let shared: Future<u64> = Future::new();
            let futures: Vec<Future<u64>> = (0..10_000)
                .map(|n| pool.submit(move || n).unwrap())
                .collect();
            let total = runtime.run(async {
                let each = futures::future::join_all(futures.iter().map(|f| f.into_future()));
                let same =
                    futures::future::join_all((0..10_000).map(|_| shared.clone().into_future()));
                shared.set_result(1).unwrap();
                let (each, same) = futures::join!(each, same);
                let each: u64 = each.into_iter().map(|r| *r.unwrap()).sum();
                let same: u64 = same.into_iter().map(|r| r.unwrap()).sum();
                (each, same)
            });
            assert_eq!(total, (49_995_000, 10_000), "{runtime:?}");
        });
    }
}

/// Completion on one thread and the first poll on another, released together by a
/// barrier, thousands of times: the await must always resolve.
#[test]
fn completion_racing_the_first_poll_is_never_lost() {
    with_deadline(|| {
        const ROUNDS: usize = 5_000;
        let barrier = Arc::new(Barrier::new(2));
        let (to_completer, futures) = mpsc::channel::<Future<usize>>();
        let completer = std::thread::spawn({
            let barrier = Arc::clone(&barrier);
            move || {
                for (round, fut) in futures.into_iter().enumerate() {
                    barrier.wait();
                    fut.set_result(round).unwrap();
                }
            }
        });
        for round in 0..ROUNDS {
            let fut = Future::new();
            to_completer.send(fut.clone()).unwrap();
            barrier.wait();
            assert_eq!(
                futures::executor::block_on((&fut).into_future()),
                Ok(&round)
            );
        }
        drop(to_completer);
        completer.join().unwrap();
    });
}

#[test]
fn cancelled_and_panicked_futures_fail_the_await() {
    for runtime in RUNTIMES {
        with_deadline(move || {
            let pool = ThreadPoolExecutor::with_max_workers(1).unwrap();
            let cancelled: Future<u64> = Future::new();
            let panicked = pool.submit(|| boom(0)).unwrap();
            let (gate, gate_rx) = mpsc::channel::<()>();
            let blocker = pool.submit(move || gate_rx.recv().unwrap()).unwrap();
            let queued = pool.submit(|| 1_u64).unwrap();
            runtime.run(async {
                assert!(cancelled.cancel());
                assert_eq!((&cancelled).await, Err(Error::Cancelled));
                let Err(Error::Panicked { message }) = (&panicked).await else {
                    panic!("a panicking task fails its await");
                };
                assert!(message.contains("boom"), "{message}");
                assert!(queued.cancel(), "queued behind the blocker");
                assert_eq!(queued.clone().await, Err(Error::Cancelled));
            });
            gate.send(()).unwrap();
            blocker.result().unwrap();
        });
    }
}

/// CPU work in a crash-isolated process, awaited: a result, a panic, a dead worker.
#[test]
fn process_pool_futures_await_the_same_way() {
    for runtime in RUNTIMES {
        with_deadline(move || {
            let pool = ProcessPoolExecutor::with_max_workers(2).unwrap();
            let squared = pool.submit(square, 12).unwrap();
            let panicked = pool.submit(boom, 1).unwrap();
            let died = pool.submit(die, 3).unwrap();
            let after = pool.submit(square, 9).unwrap();
            runtime.run(async {
                assert_eq!(squared.clone().await, Ok(144));
                assert!(matches!(
                    (&panicked).await,
                    Err(Error::Panicked { message }) if message.contains("boom")
                ));
                let Err(Error::WorkerDied { .. }) = died.clone().await else {
                    panic!("a worker that exits fails its task's await with WorkerDied");
                };
                assert_eq!((&after).await, Ok(&81), "the pool goes on");
            });
        });
    }
}

/// The owned await is `Send` and `'static`: it can be spawned on a multi-thread runtime.
#[test]
fn owned_awaits_can_be_spawned() {
    fn assert_send<T: Send>(_: &T) {}
    with_deadline(|| {
        let pool = ThreadPoolExecutor::with_max_workers(2).unwrap();
        let fut = pool.submit(|| 6 * 7).unwrap();
        assert_send(&(&fut).into_future());
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .build()
            .unwrap();
        let spawned = runtime.spawn(fut.into_future());
        assert_eq!(runtime.block_on(spawned).unwrap(), Ok(42));
    });
}

/// Gates complete the futures in the order 2, 0, 1, one after each item the stream
/// yields; the stream must follow that order, after the future that was done first.
#[test]
fn as_completed_async_yields_in_completion_order() {
    for runtime in RUNTIMES {
        with_deadline(move || {
            let pending: Vec<Future<usize>> = (0..3).map(|_| Future::new()).collect();
            let early: Future<usize> = Future::new();
            early.set_result(99).unwrap();
            let mut watched: Vec<&Future<usize>> = pending.iter().collect();
            watched.extend([&early, &pending[1], &early]); // duplicates come once
            let order = runtime.run(async {
                let mut stream = as_completed_async(watched);
                let mut order = Vec::new();
                let mut next_to_complete = [2, 0, 1].into_iter();
                while let Some(fut) = stream.next().await {
                    order.push(if fut == early {
                        99
                    } else {
                        index_of(&pending, &fut)
                    });
                    if let Some(i) = next_to_complete.next() {
                        let fut = pending[i].clone();
                        std::thread::spawn(move || fut.set_result(i).unwrap());
                    }
                }
                order
            });
            assert_eq!(order, [99, 2, 0, 1], "{runtime:?}");
        });
    }
}

fn index_of<T>(futures: &[Future<T>], fut: &Future<T>) -> usize {
    futures.iter().position(|f| f == fut).expect("one of ours")
}

#[test]
fn a_dropped_stream_unregisters_from_every_future() {
    let fut: Future<u8> = Future::new();
    let (count, waker) = counting_waker();
    {
        let mut stream = as_completed_async([&fut]);
        let next = stream.poll_next_unpin(&mut Context::from_waker(&waker));
        assert!(next.is_pending());
        assert_eq!(Arc::strong_count(&count), 3);
    }
    assert_eq!(
        Arc::strong_count(&count),
        2,
        "the stream's waker went with it"
    );
    fut.set_result(1).unwrap();
    assert_eq!(count.0.load(Ordering::SeqCst), 0);
}

#[test]
fn wait_async_in_all_three_modes() {
    for runtime in RUNTIMES {
        with_deadline(move || {
            let ok: Future<u64> = Future::new();
            let failing: Future<u64> = Future::new();
            let late: Future<u64> = Future::new();
            let all = [&ok, &failing, &late];
            runtime.run(async {
                let first = wait_async(all, ReturnWhen::FirstCompleted);
                let completer = spawn_later(ok.clone(), Ok(1));
                let DoneAndNotDone { done, not_done } = first.await;
                completer.join().unwrap();
                assert_eq!((done.len(), not_done.len()), (1, 2));
                assert!(done.contains(&ok));

                let exception = wait_async(all, ReturnWhen::FirstException);
                let boom = Err(Error::Panicked {
                    message: "boom".into(),
                });
                let completer = spawn_later(failing.clone(), boom);
                let split = exception.await;
                completer.join().unwrap();
                assert!(split.done.contains(&failing) && split.not_done.contains(&late));

                let everything = wait_async(all, ReturnWhen::AllCompleted);
                let completer = spawn_later(late.clone(), Ok(3));
                let split = everything.await;
                completer.join().unwrap();
                assert_eq!((split.done.len(), split.not_done.len()), (3, 0));
            });
        });
    }
}

/// Completes `fut` from another thread (the wait is already registered by then).
fn spawn_later(fut: Future<u64>, outcome: Result<u64, Error>) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || match outcome {
        Ok(value) => fut.set_result(value).unwrap(),
        Err(error) => fut.set_exception(error).unwrap(),
    })
}

#[test]
fn a_dropped_wait_async_unregisters() {
    let fut: Future<u8> = Future::new();
    let (count, waker) = counting_waker();
    {
        let mut waiting = pin!(wait_async([&fut], ReturnWhen::AllCompleted));
        assert!(waiting
            .as_mut()
            .poll(&mut Context::from_waker(&waker))
            .is_pending());
    }
    assert_eq!(Arc::strong_count(&count), 2);
    fut.set_result(1).unwrap();
    assert_eq!(count.0.load(Ordering::SeqCst), 0);
}

/// A `Future<u64>` and a `Future<String>` in one wait, one as_completed and their
/// async forms, through `AnyFuture`; the typed map still finds each one.
#[test]
fn futures_of_different_types_wait_together() {
    let pool = ThreadPoolExecutor::with_max_workers(2).unwrap();
    let count = pool.submit(|| 194_u64).unwrap();
    let label = pool.submit(|| "LOCAL".to_string()).unwrap();
    let mut to_do_map = std::collections::HashMap::new();
    to_do_map.insert(count.clone(), "count");
    let both: Vec<AnyFuture> = vec![count.erase_type(), label.erase_type()];

    let split = wait(&both, Some(PATIENCE), ReturnWhen::AllCompleted);
    assert_eq!(split.done.len(), 2);
    let mut seen = 0;
    for done in as_completed(&both) {
        if let Some(typed) = done.downcast::<u64>() {
            assert_eq!(to_do_map[&typed], "count");
            assert_eq!(typed.result(), Ok(&194));
        } else {
            assert_eq!(done, label);
            assert_eq!(
                done.downcast::<String>().unwrap().result().unwrap(),
                "LOCAL"
            );
        }
        seen += 1;
    }
    assert_eq!(seen, 2);

    let asynchronously = futures::executor::block_on(async {
        let split = wait_async(&both, ReturnWhen::AllCompleted).await;
        let streamed: Vec<AnyFuture> = as_completed_async(&both).collect().await;
        (split.done.len(), streamed.len(), (&both[0]).await.is_ok())
    });
    assert_eq!(asynchronously, (2, 2, true));
}

/// A thread pool's future: for a moment after the first poll the await wakes its own
/// task instead of leaving a waker (the runtime stays awake for a short task), then
/// it leaves one, which the completion wakes.
#[test]
fn a_thread_pool_await_stays_awake_a_moment_then_leaves_its_waker() {
    with_deadline(|| {
        let pool = ThreadPoolExecutor::with_max_workers(1).unwrap();
        let (gate, gate_rx) = mpsc::channel::<u64>();
        let fut = pool.submit(move || gate_rx.recv().unwrap()).unwrap();
        let (count, waker) = counting_waker();
        let mut cx = Context::from_waker(&waker);
        let mut awaiting = pin!((&fut).into_future());
        assert!(awaiting.as_mut().poll(&mut cx).is_pending());
        assert_eq!(count.0.load(Ordering::SeqCst), 1, "it woke its own task");
        assert_eq!(Arc::strong_count(&count), 2, "and left no waker yet");
        // Awake for a bounded moment: polled again and again, it leaves its waker.
        while Arc::strong_count(&count) == 2 {
            assert!(awaiting.as_mut().poll(&mut cx).is_pending());
        }
        let woken_before = count.0.load(Ordering::SeqCst);
        gate.send(5).unwrap();
        while count.0.load(Ordering::SeqCst) == woken_before {
            std::thread::yield_now(); // the completion wakes the stored waker
        }
        assert_eq!(awaiting.as_mut().poll(&mut cx), Poll::Ready(Ok(&5)));
    });
}
