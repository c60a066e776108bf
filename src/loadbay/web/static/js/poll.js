// Repeats a task while its page is shown and the tab is visible.

/**
 * Runs `task` now, then again after the number of milliseconds it returns, until it returns
 * null or `signal` aborts. A hidden tab pauses the loop; showing the tab runs the task at once.
 */
export function repeat(task, signal) {
  let timer = 0;
  let paused = false;

  async function tick() {
    timer = 0;
    if (signal.aborted) {
      return;
    }
    if (document.hidden) {
      paused = true;
      return;
    }
    const delay = await task();
    if (delay !== null && !signal.aborted) {
      timer = window.setTimeout(tick, delay);
    }
  }

  function onVisibility() {
    if (!document.hidden && paused) {
      paused = false;
      tick();
    }
  }

  document.addEventListener("visibilitychange", onVisibility);
  signal.addEventListener("abort", () => {
    window.clearTimeout(timer);
    document.removeEventListener("visibilitychange", onVisibility);
  });
  tick();
}
