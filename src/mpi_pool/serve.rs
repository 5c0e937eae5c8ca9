//! A worker rank's side: one session per client executor, each with its own local,
//! crash-isolated `ProcessPoolExecutor`. The rank never runs a task in its own process:
//! a task that crashes costs one worker process of the local pool, and the rank goes
//! on. Plain state, owned by the engine thread alone.
//!
//! The engine collects the local futures that are done (no callback: a callback would
//! run on the local pool's supervisor thread, one more wake-up per task), and while it
//! has nothing else to do it waits on the oldest, which makes it read that worker's
//! result pipe itself (the process pool's fetching): the round trip then involves the
//! engine and the worker process only.

use std::collections::{HashMap, VecDeque};
use std::thread::JoinHandle;
use std::time::Duration;

use super::wire::{LostTask, PoolId, Settings, Task, TaskId, TaskResult};
use crate::process_pool::builder::InitializerSpec;
use crate::process_pool::wire::outcome::Outcome;
use crate::process_pool::wire::protocol::Initializer;
use crate::{Future, ProcessPoolExecutor};

struct Session {
    key: u64,
    /// The local pool, or why this rank cannot serve the executor.
    local: Result<ProcessPoolExecutor, String>,
    /// Tasks handed to the local pool and not collected, oldest first.
    running: VecDeque<(TaskId, Future<Vec<u8>>)>,
    closing: bool,
}

#[derive(Default)]
pub(crate) struct Sessions {
    sessions: HashMap<PoolId, Session>,
    /// Local pools being dropped (which waits for their workers to exit).
    closing: Vec<JoinHandle<()>>,
}

impl Sessions {
    /// `true` while local tasks run: their results are about to be sent.
    pub(crate) fn expects_results(&self) -> bool {
        self.sessions
            .values()
            .any(|session| !session.running.is_empty())
    }

    /// The results of local tasks that ended, by executor.
    pub(crate) fn collect(&mut self) -> Vec<(PoolId, Vec<(TaskId, TaskResult)>)> {
        let mut collected = Vec::new();
        for (&pool, session) in &mut self.sessions {
            let mut ended = Vec::new();
            session.running.retain(|(id, future)| {
                let done = future.done();
                if done {
                    ended.push((*id, TaskResult::from_local(future.result())));
                }
                !done
            });
            if !ended.is_empty() {
                collected.push((pool, ended));
            }
        }
        let idle: Vec<PoolId> = collected.iter().map(|(pool, _)| *pool).collect();
        for pool in idle {
            self.drop_if_done(pool);
        }
        collected
    }

    /// Waits up to `limit` for the oldest local task (reading its worker's pipe, if
    /// its result is due soon).
    pub(crate) fn wait_for_oldest(&self, limit: Duration) {
        let oldest = self
            .sessions
            .values()
            .find_map(|session| session.running.front());
        if let Some((_, future)) = oldest {
            let _ = future.result_timeout(limit);
        }
    }

    pub(crate) fn open(&mut self, pool: PoolId, settings: Settings, build: u64) {
        let local = if settings.build != build {
            Err(
                "this worker rank runs a different build of the program than the \
                 client: every rank must run the same executable file"
                    .to_string(),
            )
        } else {
            local_pool(&settings)
        };
        let session = Session {
            key: settings.key,
            local,
            running: VecDeque::new(),
            closing: false,
        };
        self.sessions.insert(pool, session);
    }

    /// Hands `tasks` to the local pool; what ended at once (refused) is returned.
    pub(crate) fn run(&mut self, pool: PoolId, tasks: Vec<Task>) -> Vec<(TaskId, TaskResult)> {
        let Some(session) = self.sessions.get_mut(&pool) else {
            let lost = |task: Task| (task.id, broken("the executor is not open on this rank"));
            return tasks.into_iter().map(lost).collect();
        };
        let mut ended = Vec::new();
        for task in tasks {
            let id = task.id;
            match start(session, task) {
                Ok(future) => session.running.push_back((id, future)),
                Err(result) => ended.push(result),
            }
        }
        ended
    }

    /// No more tasks for `pool`: its local pool shuts down once its tasks are done.
    pub(crate) fn close(&mut self, pool: PoolId) {
        if let Some(session) = self.sessions.get_mut(&pool) {
            session.closing = true;
            if let Ok(local) = &session.local {
                local.shutdown(false, false);
            }
        }
        self.drop_if_done(pool);
    }

    fn drop_if_done(&mut self, pool: PoolId) {
        let done = self
            .sessions
            .get(&pool)
            .is_some_and(|session| session.closing && session.running.is_empty());
        if !done {
            return;
        }
        let session = self.sessions.remove(&pool).expect("found above");
        // Dropping a pool waits for its workers to exit: not on the engine thread.
        let dropping = std::thread::Builder::new()
            .name("concurrent-futures-mpi-close".into())
            .spawn(move || drop(session));
        if let Ok(thread) = dropping {
            self.closing.push(thread);
        }
    }

    /// Shuts every local pool down (cancelling what has not started) and waits for
    /// their workers to exit: the rank is leaving.
    pub(crate) fn leave(&mut self) {
        for (_, session) in self.sessions.drain() {
            if let Ok(local) = &session.local {
                local.shutdown(true, true);
            }
        }
        for thread in self.closing.drain(..) {
            let _ = thread.join();
        }
    }
}

/// Starts one task in the session's local pool, or says why it ended at once.
fn start(session: &Session, task: Task) -> Result<Future<Vec<u8>>, (TaskId, TaskResult)> {
    let id = task.id;
    let local = match &session.local {
        Ok(local) => local,
        Err(reason) => return Err((id, broken(reason))),
    };
    let trampoline = match task.entry.resolve_task(session.key) {
        Ok(trampoline) => trampoline,
        Err(why) => return Err((id, TaskResult::Ran(Outcome::Refused(why)))),
    };
    local
        .submit_encoded(trampoline, task.arg)
        .map_err(|error| (id, TaskResult::from_local(Err(error))))
}

fn broken(reason: &str) -> TaskResult {
    TaskResult::Lost(LostTask::Broken {
        reason: reason.to_string(),
    })
}

/// The local pool that runs an executor's tasks on this rank.
fn local_pool(settings: &Settings) -> Result<ProcessPoolExecutor, String> {
    let mut builder = ProcessPoolExecutor::builder().max_workers(settings.local_workers);
    if let Some(initializer) = &settings.initializer {
        builder = builder.initializer_spec(initializer_spec(initializer, settings.key)?);
    }
    if let Some(tasks) = settings.max_tasks_per_child {
        builder = builder.max_tasks_per_child(tasks);
    }
    if let Some(limit) = settings.task_time_limit {
        builder = builder.task_time_limit(limit);
    }
    builder.build().map_err(|e| e.to_string())
}

/// The client's initializer, checked under its key, as this rank's local pool takes it.
fn initializer_spec(initializer: &Initializer, key: u64) -> Result<InitializerSpec, String> {
    Ok(match initializer {
        Initializer::Plain(entry) => InitializerSpec::Plain(entry.resolve_initializer(key)?),
        Initializer::WithArg { entry, arg } => {
            InitializerSpec::WithArg(entry.resolve_task(key)?, Ok(arg.clone()))
        }
    })
}
