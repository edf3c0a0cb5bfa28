//! A task on its own thread and Tokio runtime, stopped when dropped: the loopback servers of
//! the tests (fake Arr, fault proxy, notification receiver, the bench's fake WebUI) and the
//! DynamoDB Local container guard. Dropping it ends the task and the runtime, which cancels
//! every open connection, then joins the thread.

use std::future::Future;
use std::thread::JoinHandle;

use tokio::sync::oneshot;

/// Threads the runtime may use: 1 is a current-thread runtime.
#[derive(Debug, Clone, Copy)]
pub struct Threads(pub usize);

/// A running background task; stops on drop.
pub struct Background {
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Background {
    /// Runs `task` on a new thread with a current-thread runtime until dropped.
    pub fn spawn<F, Fut>(name: &str, task: F) -> Background
    where
        F: FnOnce() -> Fut + Send + 'static,
        Fut: Future<Output = ()> + 'static,
    {
        Background::spawn_on(name, Threads(1), task)
    }

    /// Runs `task` on a new thread with a runtime of `threads` workers until dropped.
    pub fn spawn_on<F, Fut>(name: &str, threads: Threads, task: F) -> Background
    where
        F: FnOnce() -> Fut + Send + 'static,
        Fut: Future<Output = ()> + 'static,
    {
        let (stop, stopped) = oneshot::channel::<()>();
        let name = name.to_string();
        let thread = std::thread::Builder::new()
            .name(name.clone())
            .spawn(move || {
                let mut builder = if threads.0 <= 1 {
                    tokio::runtime::Builder::new_current_thread()
                } else {
                    let mut b = tokio::runtime::Builder::new_multi_thread();
                    b.worker_threads(threads.0);
                    b
                };
                let rt = builder
                    .enable_all()
                    .build()
                    .unwrap_or_else(|e| panic!("{name} runtime: {e}"));
                rt.block_on(async move {
                    tokio::select! {
                        _ = task() => {}
                        _ = stopped => {}
                    }
                });
                // Dropping the runtime cancels every open connection.
            })
            .expect("spawn a background thread");
        Background {
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    /// Runs `app` on `listener` (bound and non-blocking) until dropped.
    pub fn serve(name: &str, listener: std::net::TcpListener, app: axum::Router) -> Background {
        Background::serve_on(name, Threads(1), listener, app)
    }

    /// [`Background::serve`] with a runtime of `threads` workers.
    pub fn serve_on(
        name: &str,
        threads: Threads,
        listener: std::net::TcpListener,
        app: axum::Router,
    ) -> Background {
        Background::spawn_on(name, threads, move || async move {
            let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
            let _ = axum::serve(listener, app).await;
        })
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
