"""Progress bar for training: optimizer steps, loss, learning rate and throughput."""

from __future__ import annotations

import time


class Throughput:
    """Counts examples and answer tokens; shows a tqdm bar over optimizer steps when enabled."""

    def __init__(self, total_steps: int, start_step: int = 0, *, enabled: bool = True) -> None:
        self.started = time.perf_counter()
        self.examples = 0
        self.tokens = 0
        self.bar = None
        if enabled:
            from tqdm import tqdm

            self.bar = tqdm(total=total_steps, initial=start_step, desc="train", unit="step", dynamic_ncols=True)
        self._last_step = start_step

    def add(self, examples: int, answer_tokens: int) -> None:
        """Account for one micro-batch."""
        self.examples += examples
        self.tokens += answer_tokens

    @property
    def elapsed_s(self) -> float:
        return time.perf_counter() - self.started

    def update(self, step: int, loss: float, lr: float) -> None:
        """Move the bar to ``step`` and show loss, lr, examples/s and answer tokens/s."""
        if self.bar is None:
            return
        elapsed = max(self.elapsed_s, 1e-9)
        self.bar.update(step - self._last_step)
        self._last_step = step
        self.bar.set_postfix(loss=f"{loss:.4f}", lr=f"{lr:.2e}", ex_s=f"{self.examples / elapsed:.2f}",
                             tok_s=f"{self.tokens / elapsed:.0f}")

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
