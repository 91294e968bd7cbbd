//! The thread a WAL consumer runs on: started with a stop flag the loop checks, stopped by
//! setting it, waking the thread (consumers park between polls) and joining it — also when
//! the handle is dropped.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;

/// A running consumer thread.
pub struct ConsumerThread {
    name: &'static str,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl ConsumerThread {
    /// Runs `body` on a thread named `name`; `body` returns once the flag it is given is set.
    pub fn spawn(
        name: &'static str,
        body: impl FnOnce(&AtomicBool) + Send + 'static,
    ) -> std::io::Result<ConsumerThread> {
        let stop = Arc::new(AtomicBool::new(false));
        let thread_stop = Arc::clone(&stop);
        let thread =
            std::thread::Builder::new().name(name.into()).spawn(move || body(&thread_stop))?;
        Ok(ConsumerThread { name, stop, thread: Some(thread) })
    }

    /// Asks the thread to stop, and waits for it.
    pub fn stop(mut self) {
        self.stop_and_join();
    }

    fn stop_and_join(&mut self) {
        self.stop.store(true, Ordering::Release);
        if let Some(thread) = self.thread.take() {
            thread.thread().unpark();
            if thread.join().is_err() {
                tracing::error!(thread = self.name, "a WAL consumer thread panicked");
            }
        }
    }
}

impl Drop for ConsumerThread {
    fn drop(&mut self) {
        self.stop_and_join();
    }
}
